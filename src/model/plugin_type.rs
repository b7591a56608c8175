//! Task or hook: what an Optimus plugin is.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum PluginType {
    Task,
    Hook,
}

impl PluginType {
    pub fn parse(s: &str) -> Option<PluginType> {
        match s.to_ascii_lowercase().as_str() {
            "task" => Some(PluginType::Task),
            "hook" => Some(PluginType::Hook),
            _ => None,
        }
    }
}

impl fmt::Display for PluginType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PluginType::Task => "task",
            PluginType::Hook => "hook",
        })
    }
}
