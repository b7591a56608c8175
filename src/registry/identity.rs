//! Which registry a timestamp is (`[registry]`: `config.toml`'s name and id, signed). One key
//! may sign several registries (prod and staging), so a valid signature does not say which
//! one a source serves. The registry is taken on, in order of authority:
//!
//! 1. the config's pin, `registry_id:`: every timestamp, from any source, must name it (and a
//!    source serving no timestamp is refused);
//! 2. the origin's word: what the origin itself serves, or what it said when asked about a
//!    mirror's timestamp;
//! 3. a mirror's word, provisionally: only when the origin could not be asked (down,
//!    firewalled, `--offline`), with a warning; the origin replaces it once it answers.
//!
//! A mirror's timestamp is taken on the state this machine keeps (`freshness::State`) when
//! that state is the origin's word and agrees; otherwise the origin is asked, once per
//! command and provider, within [`ORIGIN_WAIT`]. So a good mirror costs the origin two small
//! requests on a machine that never met the registry, and none after.

use super::client::RegistryClient;
use super::freshness::State;
use super::timestamp::{OriginSays, RegistryId, Timestamp, TIMESTAMP_FILE};
use crate::model::location::Location;
use crate::model::redact::printable;
use std::time::Duration;

/// How long a mirror's timestamp waits for the origin to say which registry it is: a
/// firewalled machine pays it once per command while it has only a mirror's word.
pub(super) const ORIGIN_WAIT: Duration = Duration::from_secs(3);

/// Whose word a timestamp's registry is taken on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Authority {
    /// The config's `registry_id:` names it. The pin is this config's word, not the origin's:
    /// what the machine keeps (shared by every project using the URL) is the origin's word
    /// only when the origin itself served it (`at_origin`).
    Pin { at_origin: bool },
    /// The origin served it, or vouched for what a mirror served.
    Origin,
    /// A mirror alone: provisional (the origin or a pin replaces it).
    Mirror,
}

/// A registry as a message names it: `registry `prod` (id …)`, or `no registry`.
fn named(r: Option<&RegistryId>) -> String {
    r.map_or("no registry".to_string(), |r| format!("registry {r}"))
}

fn id(r: Option<&RegistryId>) -> Option<&str> {
    r.map(|r| r.id.as_str())
}

/// Whether a mirror's timestamp naming `named` needs the origin's word, given what this
/// machine holds: nothing, or only a mirror's word, or the origin's word about another
/// registry than the one named now (where the origin had named none: a registry that got an
/// id since, or a mirror serving another one).
fn needs_origin(state: Option<&State>, named: Option<&RegistryId>) -> bool {
    match state {
        None => true,
        Some(s) if s.from_origin => s.registry.is_none() && named.is_some(),
        Some(s) => s.registry.is_some() || named.is_some(),
    }
}

impl RegistryClient<'_> {
    /// Whose word the registry of the timestamp `base` serves (`None`: it serves none) is
    /// taken on, or why it is refused: a pin it does not match, or a mirror the origin does
    /// not vouch for.
    pub(super) async fn vouch(
        &self,
        ts: Option<&Timestamp>,
        base: &Location,
        state: Option<&State>,
        what: &str,
    ) -> Result<Authority, String> {
        let named_now = ts.and_then(|t| t.registry.as_ref());
        if let Some(pin) = &self.provider.registry_id {
            return match (ts, named_now) {
                (Some(_), Some(got)) if &got.id == pin => Ok(Authority::Pin {
                    at_origin: base == &self.provider.base,
                }),
                (served, got) => Err(format!(
                    "{what}: {}, but registry {} pins registry id {pin} (registry_id, {}): refusing a snapshot that may be another registry's (a mirror or server serving the wrong registry's files, or a registry from before ids or timestamps, which its next publish, yank or `optimus-plugins refresh` names)",
                    match served {
                        Some(_) => format!("it names {}", named(got)),
                        None => format!("the source serves no {TIMESTAMP_FILE}"),
                    },
                    self.provider.name,
                    self.provider.declared_at
                )),
            };
        }
        if base == &self.provider.base {
            // Asked earlier in this command about a mirror, the origin must say the same now.
            if let Some(OriginSays::Registry(said)) =
                self.shared.freshness.origin_cell(&self.origin_key()).get()
            {
                if ts.is_some() && id(said.as_ref()) != id(named_now) {
                    return Err(format!(
                        "{what}: it names {}, but the same origin named {} earlier in this command: refusing a registry that changes its answer",
                        named(named_now),
                        named(said.as_ref())
                    ));
                }
            }
            return Ok(Authority::Origin);
        }
        let needed = match ts {
            Some(_) => needs_origin(state, named_now),
            None => state.is_none(),
        };
        if !needed {
            return Ok(Authority::Mirror);
        }
        let says = self.origin_says().await;
        let origin = &self.provider.base;
        match (says, ts) {
            (OriginSays::Registry(o), Some(_)) if id(o.as_ref()) == id(named_now) => {
                Ok(Authority::Origin)
            }
            (OriginSays::NoTimestamp, None) => Ok(Authority::Origin),
            (OriginSays::Registry(o), Some(_)) => Err(format!(
                "{what}: it names {}, but the origin {origin} serves {}: refusing a mirror that serves another registry signed with the same key",
                named(named_now),
                named(o.as_ref())
            )),
            (OriginSays::Registry(o), None) => Err(format!(
                "{what}: the mirror serves none, but the origin {origin} serves one ({}): refusing a mirror that is an old copy of the registry or another registry's",
                named(o.as_ref())
            )),
            (OriginSays::NoTimestamp, Some(_)) => Err(format!(
                "{what}: it names {}, but the origin {origin} serves no {TIMESTAMP_FILE}: refusing a mirror that is not a copy of what the origin serves",
                named(named_now)
            )),
            (OriginSays::Unknown(why), _) => {
                if self.shared.freshness.first(&format!("unvouched {base}")) {
                    self.shared.reporter.warn(&format!(
                        "{what}: the origin of registry {} has not vouched on this machine for the registry a mirror serves, and {origin} could not be asked which registry it is ({}): taking {} from the mirror provisionally, until the origin answers. A mirror serving another registry signed with the same key cannot be told apart until then: pin the registry with `registry_id:` (the `id` in its config.toml; {}), or use a key per registry",
                        self.provider.name,
                        printable(&why),
                        named(named_now),
                        self.provider.declared_at
                    ));
                }
                Ok(Authority::Mirror)
            }
        }
    }

    /// What the origin's answer is kept under in this command: the provider and the origin.
    fn origin_key(&self) -> String {
        format!("{}\n{}", self.provider.name, self.provider.base.identity())
    }

    /// The origin's own timestamp, asked once per command and provider, within
    /// [`ORIGIN_WAIT`]. `--offline` asks nobody.
    async fn origin_says(&self) -> OriginSays {
        if self.shared.transport.offline {
            return OriginSays::Unknown("--offline".into());
        }
        let origin = &self.provider.base;
        let cell = self.shared.freshness.origin_cell(&self.origin_key());
        cell.get_or_init(|| async {
            let what = format!(
                "{TIMESTAMP_FILE} of registry {} ({origin})",
                self.provider.name
            );
            let asked = tokio::time::timeout(ORIGIN_WAIT, self.signed_timestamp(origin, &what));
            match asked.await {
                Ok(Ok(Some(ts))) => OriginSays::Registry(ts.registry),
                Ok(Ok(None)) => match origin {
                    Location::Path(root) if !root.is_dir() => {
                        OriginSays::Unknown("no such directory".into())
                    }
                    _ => OriginSays::NoTimestamp,
                },
                Ok(Err(e)) => OriginSays::Unknown(e.to_string()),
                Err(_) => {
                    OriginSays::Unknown(format!("no answer within {} s", ORIGIN_WAIT.as_secs()))
                }
            }
        })
        .await
        .clone()
    }

    /// The registry the timestamp names against what this machine holds. Returns the state to
    /// keep (its `version` is the floor to check against: reset when the origin or the pin
    /// replaces a registry taken from a mirror), or why the timestamp is another registry's.
    pub(super) fn check_registry(
        &self,
        ts: &Timestamp,
        state: Option<&State>,
        authority: Authority,
        what: &str,
    ) -> Result<State, String> {
        let pinned = matches!(authority, Authority::Pin { .. });
        let from_origin = matches!(
            authority,
            Authority::Origin | Authority::Pin { at_origin: true }
        );
        let Some(state) = state else {
            return Ok(State {
                version: ts.version,
                registry: ts.registry.clone(),
                from_origin,
            });
        };
        let (known, got) = (state.registry.as_ref(), ts.registry.as_ref());
        if id(known) == id(got) {
            return Ok(State {
                from_origin: state.from_origin || from_origin,
                ..state.clone()
            });
        }
        let forget = format!(
            "if the registry at {} really was replaced by another one, delete {} to forget what this machine has seen",
            self.provider.base,
            self.state_path().display()
        );
        match (known, got) {
            // A registry named for the first time (one from before ids got one): the floor
            // stays; a mirror's word stays provisional.
            (None, Some(_)) => Ok(State {
                registry: ts.registry.clone(),
                from_origin,
                ..state.clone()
            }),
            // The origin, or the pin, outranks a mirror's word; the floor was the other
            // registry's.
            _ if !state.from_origin && (pinned || from_origin) => {
                let who = match pinned {
                    true => format!("registry_id ({}) pins", self.provider.declared_at),
                    false => "the origin serves".to_string(),
                };
                self.shared.reporter.warn(&format!(
                    "{what}: {who} {}; this machine had taken {} for it from a mirror, which served another registry signed with the same key",
                    named(got),
                    named(known)
                ));
                Ok(State {
                    version: ts.version,
                    registry: ts.registry.clone(),
                    from_origin,
                })
            }
            (Some(known), Some(got)) => Err(format!(
                "{what}: it is the timestamp of registry {got}, but this machine knows registry {} as registry {known}: refusing a snapshot of another registry signed with the same key (a mirror or server serving the wrong registry's files). {forget}",
                self.provider.name
            )),
            (known, _) => Err(format!(
                "{what}: it names no registry, but this machine knows registry {} as {} from a signed timestamp: refusing a snapshot that may be another registry's, or one from before the registry was named. {forget}",
                self.provider.name,
                named(known)
            )),
        }
    }
}
