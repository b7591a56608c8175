//! The yaml plugin schemas of each target as Go types: the struct names and yaml keys that
//! upstream's decoders use and print (docs/upstream-rules.md §2.1, §2.2, §2.5).

use super::{GoStruct, GoType};

pub(super) static GOTO_EVALUATOR_T: GoType = GoType::Struct(&GOTO_EVALUATOR);

pub(super) static GOTO_VERSION_T: GoType = GoType::Struct(&GOTO_VERSION);

pub(super) static R5_ASSET_T: GoType = GoType::Struct(&R5_ASSET);

pub(super) static R5_CONFIG_T: GoType = GoType::Struct(&R5_CONFIG);

pub(super) static R5_QUESTION_T: GoType = GoType::Struct(&R5_QUESTION);

pub(super) static R5_SUB_QUESTION_T: GoType = GoType::Struct(&R5_SUB_QUESTION);

pub(super) static RS_NAME_VALUE_ASSET_T: GoType = GoType::Struct(&RS_NAME_VALUE_ASSET);

pub(super) static RS_NAME_VALUE_CONFIG_T: GoType = GoType::Struct(&RS_NAME_VALUE_CONFIG);

pub(super) static RS_QUESTION_T: GoType = GoType::Struct(&RS_QUESTION);

pub(super) static RS_SUB_QUESTION_T: GoType = GoType::Struct(&RS_SUB_QUESTION);

pub(super) static GOTO_EVALUATORS_T: GoType = GoType::Seq("[]plugin.Evaluator", &GOTO_EVALUATOR_T);

pub(super) const STRINGS: GoType = GoType::Seq("[]string", &GoType::Str);

static RS_MOD_T: GoType = GoType::NamedStr("plugin.Mod");

static R5_MOD_T: GoType = GoType::NamedStr("models.PluginMod");

static GOTO_PARSER_TYPE_T: GoType = GoType::NamedStr("plugin.ParserType");

pub(super) static RS_NAME_VALUE_CONFIG: GoStruct = GoStruct {
    go_name: "plugin.Config",
    fields: &[("name", GoType::Str), ("value", GoType::Str)],
};

pub(super) static RS_NAME_VALUE_ASSET: GoStruct = GoStruct {
    go_name: "plugin.Asset",
    fields: &[("name", GoType::Str), ("value", GoType::Str)],
};

pub(super) static RS_SUB_QUESTION: GoStruct = GoStruct {
    go_name: "plugin.SubQuestion",
    fields: &[
        ("ifvalue", GoType::Str),
        ("questions", GoType::Seq("plugin.Questions", &RS_QUESTION_T)),
    ],
};

pub(super) static RS_QUESTION: GoStruct = GoStruct {
    go_name: "plugin.Question",
    fields: &[
        ("name", GoType::Str),
        ("prompt", GoType::Str),
        ("help", GoType::Str),
        ("default", GoType::Str),
        ("multiselect", STRINGS),
        (
            "subquestions",
            GoType::Seq("[]plugin.SubQuestion", &RS_SUB_QUESTION_T),
        ),
        ("regexp", GoType::Str),
        ("validationerror", GoType::Str),
        ("minlength", GoType::Int),
        ("maxlength", GoType::Int),
        ("required", GoType::Bool),
    ],
};

pub(super) static RS_ENTRYPOINT: GoStruct = GoStruct {
    go_name: "plugin.Entrypoint",
    fields: &[("shell", GoType::Str), ("script", GoType::Str)],
};

pub(super) static RS_SPEC: GoStruct = GoStruct {
    go_name: "yaml.PluginSpec",
    fields: &[
        ("name", GoType::Str),
        ("description", GoType::Str),
        ("plugintype", GoType::NamedStr("plugin.Type")),
        ("pluginmods", GoType::Seq("[]plugin.Mod", &RS_MOD_T)),
        ("pluginversion", GoType::Str),
        ("apiversion", STRINGS),
        ("image", GoType::Str),
        ("entrypoint", GoType::Struct(&RS_ENTRYPOINT)),
        ("dependson", STRINGS),
        ("hooktype", GoType::NamedStr("plugin.HookType")),
        ("questions", GoType::Seq("plugin.Questions", &RS_QUESTION_T)),
        (
            "defaultconfig",
            GoType::Seq("plugin.Configs", &RS_NAME_VALUE_CONFIG_T),
        ),
        (
            "defaultassets",
            GoType::Seq("plugin.Assets", &RS_NAME_VALUE_ASSET_T),
        ),
    ],
};

pub(super) static R5_CONFIG: GoStruct = GoStruct {
    go_name: "models.PluginConfig",
    fields: &[("name", GoType::Str), ("value", GoType::Str)],
};

pub(super) static R5_ASSET: GoStruct = GoStruct {
    go_name: "models.PluginAsset",
    fields: &[("name", GoType::Str), ("value", GoType::Str)],
};

pub(super) static R5_SUB_QUESTION: GoStruct = GoStruct {
    go_name: "models.PluginSubQuestion",
    fields: &[
        ("ifvalue", GoType::Str),
        (
            "questions",
            GoType::Seq("models.PluginQuestions", &R5_QUESTION_T),
        ),
    ],
};

pub(super) static R5_QUESTION: GoStruct = GoStruct {
    go_name: "models.PluginQuestion",
    fields: &[
        ("name", GoType::Str),
        ("prompt", GoType::Str),
        ("help", GoType::Str),
        ("default", GoType::Str),
        ("multiselect", STRINGS),
        (
            "subquestions",
            GoType::Seq("[]models.PluginSubQuestion", &R5_SUB_QUESTION_T),
        ),
        ("regexp", GoType::Str),
        ("validationerror", GoType::Str),
        ("minlength", GoType::Int),
        ("maxlength", GoType::Int),
        ("required", GoType::Bool),
    ],
};

pub(super) static R5_SPEC: GoStruct = GoStruct {
    go_name: "yaml.PluginSpec",
    fields: &[
        ("name", GoType::Str),
        ("description", GoType::Str),
        ("plugintype", GoType::NamedStr("models.PluginType")),
        ("pluginmods", GoType::Seq("[]models.PluginMod", &R5_MOD_T)),
        ("pluginversion", GoType::Str),
        ("apiversion", STRINGS),
        ("image", GoType::Str),
        ("dependson", STRINGS),
        ("hooktype", GoType::NamedStr("models.HookType")),
        ("secretpath", GoType::Str),
        (
            "questions",
            GoType::Seq("models.PluginQuestions", &R5_QUESTION_T),
        ),
        (
            "defaultconfig",
            GoType::Seq("models.PluginConfigs", &R5_CONFIG_T),
        ),
        (
            "defaultassets",
            GoType::Seq("models.PluginAssets", &R5_ASSET_T),
        ),
    ],
};

pub(super) static GOTO_ENTRYPOINT: GoStruct = GoStruct {
    go_name: "plugin.Entrypoint",
    fields: &[("shell", GoType::Str), ("script", GoType::Str)],
};

pub(super) static GOTO_VERSION: GoStruct = GoStruct {
    go_name: "plugin.VersionDetails",
    fields: &[
        ("image", GoType::Str),
        ("tag", GoType::Str),
        ("entrypoint", GoType::Struct(&GOTO_ENTRYPOINT)),
    ],
};

pub(super) static GOTO_EVALUATOR: GoStruct = GoStruct {
    go_name: "plugin.Evaluator",
    fields: &[
        ("env", GoType::Str),
        ("filepath", GoType::Str),
        ("selector", GoType::Str),
    ],
};

pub(super) static GOTO_SPEC: GoStruct = GoStruct {
    go_name: "plugin.Spec",
    fields: &[
        ("version", GoType::Int),
        ("name", GoType::Str),
        ("description", GoType::Str),
        ("destination_urn_template", GoType::Str),
        (
            "asset_parsers",
            GoType::Map(
                "map[plugin.ParserType][]plugin.Evaluator",
                &GOTO_PARSER_TYPE_T,
                &GOTO_EVALUATORS_T,
            ),
        ),
        (
            "plugin_versions",
            GoType::Map(
                "map[string]plugin.VersionDetails",
                &GoType::Str,
                &GOTO_VERSION_T,
            ),
        ),
        (
            "default_config",
            GoType::Map("map[string]string", &GoType::Str, &GoType::Str),
        ),
    ],
};
