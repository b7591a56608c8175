//! The commands: one file each, thin glue from the CLI to the library. Each takes its parsed
//! arguments, calls the library, and prints what it returns through the run's [`Ui`]; none
//! holds domain logic. [`ctx::Ctx`] is what every config-driven command opens first.

mod args;
mod cache;
mod ctx;
mod install;
pub mod invoked;
mod keygen;
mod list;
mod lock;
mod mirror;
mod outdated;
mod output;
mod publish;
mod remove;
mod signals;
mod validate;
mod verify;

use crate::cli::{Cli, Command};
use crate::config::Environment;
use crate::error::Result;
use crate::ui::Ui;

/// Runs the parsed command; `form` is how it was invoked (for completions), `ui` the terminal
/// `main` made for this run.
pub async fn run(cli: Cli, form: invoked::Form, env: Environment, ui: &Ui) -> Result<()> {
    let env = &env;
    match cli.command {
        Command::Install(a) => install::install(&a, env, ui).await,
        Command::Sync(a) => install::sync(&a, env, ui).await,
        Command::Mirror(a) => mirror::mirror(&a, env, ui).await,
        Command::Lock(a) => lock::lock(&a, env, ui).await,
        Command::Update(a) => lock::update(&a, env, ui).await,
        Command::List(a) => list::run(&a, env, ui),
        Command::Verify(a) => verify::run(&a, env, ui).await,
        Command::Remove(a) => remove::run(&a, env, ui),
        Command::Outdated(a) => outdated::run(&a, env, ui).await,
        Command::Validate(a) => validate::run(&a, env, ui),
        Command::Publish(a) => publish::publish(&a, env, ui).await,
        Command::Yank(a) => publish::yank(&a, env, ui).await,
        Command::Refresh(a) => publish::refresh(&a, env, ui).await,
        Command::Keygen(a) => keygen::keygen(&a, ui),
        Command::Sign(a) => keygen::sign(&a, ui),
        Command::Cache(c) => cache::run(c, env, ui),
        Command::Completions(a) => {
            keygen::completions(a.shell, &mut form.command(), &form.completion_name())
        }
    }
}

/// Catches SIGINT and SIGTERM for the rest of the run (see `signals`): call it first thing.
pub fn watch_signals(cli: &Cli) {
    signals::watch(match &cli.command {
        Command::Publish(_) | Command::Yank(_) | Command::Refresh(_) | Command::Keygen(_) => {
            signals::Claims::Untracked
        }
        _ => signals::Claims::Tracked,
    });
}
