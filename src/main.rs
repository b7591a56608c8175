use optimus_plugins::commands;
use optimus_plugins::config::Environment;
use optimus_plugins::model::redact;
use optimus_plugins::ui::{Level, Ui};

fn main() {
    let (cli, form) = commands::invoked::parse();
    commands::watch_signals(&cli);
    let env = Environment::read();
    let ui = Ui::new(Level::of(cli.quiet, cli.verbose), &form.prefix(), &env);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ui.error(&format!("cannot start the runtime: {e}"));
            std::process::exit(1);
        }
    };
    let result = rt.block_on(commands::run(cli, form, env, &ui));
    // Drop the runtime before exiting so no worker outlives the summary.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    if let Err(e) = result {
        ui.error(&redact::scrub(&e.to_string()));
        std::process::exit(e.exit_code());
    }
}
