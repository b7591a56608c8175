//! Which Optimus the plugins are for. Each target is one table of rules, read from upstream's
//! Go code (docs/upstream-rules.md): the yaml schema as Go types, the required fields in
//! check order with upstream's own messages, the file-name patterns, the discovery
//! directories in order, and how binaries and duplicate names are treated. Code elsewhere
//! reads these tables; it does not branch on the target's name.

use crate::error::{Error, Result};
use schemas::{GOTO_SPEC, R5_SPEC, RS_SPEC};

mod schemas;

/// A Go type a yaml value is decoded into (only what the plugin specs use).
#[derive(Debug)]
pub enum GoType {
    Str,
    /// A named string type (`plugin.Type`, `models.HookType`): decoded as a string, printed
    /// by its name in go-yaml's messages.
    NamedStr(&'static str),
    Int,
    Bool,
    /// A slice, with its Go type name as upstream's messages print it.
    Seq(&'static str, &'static GoType),
    /// `map[K]T`, with its Go type name and its key type.
    Map(&'static str, &'static GoType, &'static GoType),
    Struct(&'static GoStruct),
}

impl GoType {
    pub fn go_name(&self) -> &'static str {
        match self {
            GoType::Str => "string",
            GoType::NamedStr(n) => n,
            GoType::Int => "int",
            GoType::Bool => "bool",
            GoType::Seq(n, _) | GoType::Map(n, _, _) => n,
            GoType::Struct(s) => s.go_name,
        }
    }
}

/// A Go struct: its type name (as in `yaml.PluginSpec`) and its yaml keys.
#[derive(Debug)]
pub struct GoStruct {
    pub go_name: &'static str,
    pub fields: &'static [(&'static str, GoType)],
}

/// How the yaml library decodes (docs/upstream-rules.md §2.4, §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// gopkg.in/yaml.v2 `UnmarshalStrict`: unknown and repeated keys are errors; YAML 1.1
    /// booleans (`yes`, `on`, `Y`...).
    YamlV2Strict,
    /// gopkg.in/yaml.v3 `Unmarshal`: unknown keys ignored; a repeated key fails the mapping.
    YamlV3,
}

/// One required-field check, run in table order; the first failure is upstream's error.
#[derive(Debug)]
pub struct Required {
    /// Keys from the top of the document (`plugin_versions`, `default`, `image`).
    pub path: &'static [&'static str],
    pub check: Check,
    /// Upstream's error text, verbatim.
    pub message: &'static str,
}

#[derive(Debug)]
pub enum Check {
    NonEmpty,
    NonZero,
    HasKey(&'static str),
    /// Exactly one of these strings (case-sensitive).
    OneOf(&'static [&'static str]),
}

/// A discovery directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// The server's `plugins.location` (goto), when set.
    Location,
    /// `<cwd>/.plugins`
    CwdPlugins,
    Cwd,
    /// The directory of the optimus executable.
    ExeDir,
    /// `$HOME/.optimus/plugins`
    HomePlugins,
    Abs(&'static str),
}

#[derive(Debug)]
pub struct Rules {
    pub target: Target,
    pub name: &'static str,
    /// The upstream releases it stands for.
    pub releases: &'static str,
    pub decoder: Decoder,
    pub schema: &'static GoStruct,
    pub required: &'static [Required],
    /// Whether the `plugintype` key (task/hook) exists in this schema.
    pub has_plugin_type: bool,
    /// Whether the `hooktype` key exists (then pre/post/fail are the useful values).
    pub has_hook_type: bool,
    /// `plugin_versions` keys name the versions (goto v2).
    pub has_versions: bool,
    pub yaml_prefix: &'static str,
    pub yaml_suffix: &'static str,
    /// Binary plugins `optimus-*_<os>_<arch>`: each must have a yaml plugin of the same
    /// name (this message + name, at startup). `None`: the target runs no binaries.
    pub binary_needs_yaml: Option<&'static str>,
    pub dirs: &'static [Dir],
    /// Two plugins with one `name:`: this message + name, at startup.
    pub duplicate_name: &'static str,
    /// `optimus plugin sync` (GET <host>/plugins) exists.
    pub has_sync: bool,
    /// `optimus plugin validate`'s refusal of a file whose extension is not `.yaml` (this text
    /// and the path as given: client/cmd/plugin/validate.go). `None`: no `plugin validate`.
    pub validate_not_yaml: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Target {
    #[default]
    #[serde(rename = "raystack")]
    Raystack,
    #[serde(rename = "raystack-0.5")]
    Raystack05,
    #[serde(rename = "goto")]
    Goto,
}

pub const TARGETS: &[Target] = &[Target::Raystack, Target::Raystack05, Target::Goto];

impl Target {
    pub fn parse(s: &str) -> Result<Target> {
        TARGETS
            .iter()
            .copied()
            .find(|t| t.rules().name == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = TARGETS.iter().map(|t| t.rules().name).collect();
                Error::usage(
                    format!("unknown Optimus target {s:?}"),
                    format!("expected {}", known.join(", ")),
                )
            })
    }

    pub fn rules(self) -> &'static Rules {
        match self {
            Target::Raystack => &RAYSTACK,
            Target::Raystack05 => &RAYSTACK_05,
            Target::Goto => &GOTO,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rules().name)
    }
}

impl Rules {
    /// Whether discovery picks up `file` as a yaml plugin (case-sensitive prefix and suffix).
    pub fn is_yaml_file(&self, file: &str) -> bool {
        file.starts_with(self.yaml_prefix) && file.ends_with(self.yaml_suffix)
    }
}

// ---------------------------------------------------------------------------------------------
// raystack HEAD (v0.6.0-rc.9 .. v0.7.x): sdk/plugin Info + questions, plugin/yaml PluginSpec.

static RAYSTACK: Rules = Rules {
    target: Target::Raystack,
    name: "raystack",
    releases: "raystack/optimus v0.6.0-rc.9 .. v0.7.x and HEAD",
    decoder: Decoder::YamlV2Strict,
    schema: &RS_SPEC,
    required: &[
        Required {
            path: &["name"],
            check: Check::NonEmpty,
            message: "plugin name cannot be empty",
        },
        Required {
            path: &["image"],
            check: Check::NonEmpty,
            message: "plugin image cannot be empty",
        },
        Required {
            path: &["pluginversion"],
            check: Check::NonEmpty,
            message: "plugin version cannot be empty",
        },
        Required {
            path: &["entrypoint", "script"],
            check: Check::NonEmpty,
            message: "entrypoint script cannot be empty",
        },
        Required {
            path: &["plugintype"],
            check: Check::OneOf(&["task", "hook"]),
            message: "plugin type is not supported",
        },
    ],
    has_plugin_type: true,
    has_hook_type: true,
    has_versions: false,
    yaml_prefix: "optimus-plugin-",
    yaml_suffix: ".yaml",
    binary_needs_yaml: Some("please provide yaml version of the plugin "),
    dirs: RAYSTACK_DIRS,
    duplicate_name: "plugin name already in use ",
    has_sync: true,
    validate_not_yaml: Some("expecting .yaml file at "),
};

const RAYSTACK_DIRS: &[Dir] = &[
    Dir::CwdPlugins,
    Dir::Cwd,
    Dir::ExeDir,
    Dir::HomePlugins,
    Dir::Abs("/usr/bin"),
    Dir::Abs("/usr/local/bin"),
];

// ---------------------------------------------------------------------------------------------
// raystack v0.5.x: models.PluginInfoResponse; no entrypoint, has secretpath.

static RAYSTACK_05: Rules = Rules {
    target: Target::Raystack05,
    name: "raystack-0.5",
    releases: "raystack/optimus v0.5.0 .. v0.5.9",
    decoder: Decoder::YamlV2Strict,
    schema: &R5_SPEC,
    required: &[
        Required {
            path: &["name"],
            check: Check::NonEmpty,
            message: "plugin name cannot be empty",
        },
        Required {
            path: &["image"],
            check: Check::NonEmpty,
            message: "plugin image cannot be empty",
        },
        Required {
            path: &["pluginversion"],
            check: Check::NonEmpty,
            message: "plugin version cannot be empty",
        },
        Required {
            path: &["plugintype"],
            check: Check::OneOf(&["task", "hook"]),
            message: "unsupported plugin requested, make sure its correctly installed",
        },
    ],
    has_plugin_type: true,
    has_hook_type: true,
    has_versions: false,
    yaml_prefix: "optimus-plugin-",
    yaml_suffix: ".yaml",
    binary_needs_yaml: Some("please provide yaml version of the plugin "),
    dirs: RAYSTACK_DIRS,
    duplicate_name: "plugin name already in use ",
    has_sync: true,
    validate_not_yaml: Some("expecting .yaml file at "),
};

// ---------------------------------------------------------------------------------------------
// goto v2 (plugin/spec.go): yaml.v3, not strict.

static GOTO: Rules = Rules {
    target: Target::Goto,
    name: "goto",
    releases: "goto/optimus v0.21.0 .. v0.26.x (plugin spec v2)",
    decoder: Decoder::YamlV3,
    schema: &GOTO_SPEC,
    required: &[
        Required {
            path: &["name"],
            check: Check::NonEmpty,
            message: "plugin name is required",
        },
        Required {
            path: &["version"],
            check: Check::NonZero,
            message: "plugin spec version is required",
        },
        Required {
            path: &["plugin_versions"],
            check: Check::NonEmpty,
            message: "plugin versions are required",
        },
        Required {
            path: &["plugin_versions"],
            check: Check::HasKey("default"),
            message: "default version is required",
        },
        Required {
            path: &["plugin_versions", "default", "image"],
            check: Check::NonEmpty,
            message: "default image is required",
        },
        Required {
            path: &["plugin_versions", "default", "tag"],
            check: Check::NonEmpty,
            message: "default tag is required",
        },
        Required {
            path: &["plugin_versions", "default", "entrypoint", "script"],
            check: Check::NonEmpty,
            message: "default entrypoint is required",
        },
    ],
    has_plugin_type: false,
    has_hook_type: false,
    has_versions: true,
    yaml_prefix: "optimus-plugin-",
    yaml_suffix: ".yaml",
    binary_needs_yaml: None,
    dirs: &[Dir::Location, Dir::CwdPlugins, Dir::Cwd],
    duplicate_name: "plugin name already in use ",
    has_sync: false,
    validate_not_yaml: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        for t in TARGETS {
            assert_eq!(Target::parse(t.rules().name).unwrap(), *t);
            assert_eq!(t.rules().target, *t);
        }
        assert!(Target::parse("odpf").is_err());
    }
}
