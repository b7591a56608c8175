// Package plugin re-declares the types of raystack/optimus sdk/plugin that a yaml plugin is
// decoded into, with upstream's field names, Go types and yaml tags (the package name and the
// type names appear in go-yaml's messages: `plugin.Type`, `[]plugin.Mod`).
//
// Sources (raystack/optimus 5874457c7bbe9ed08f41c8300e984ac7fc28f78a, = v0.7.x loader code):
//   sdk/plugin/plugin.go     Type, HookType, Mod, Entrypoint, Info, Info.Validate, Config(s), Asset(s)
//   sdk/plugin/cli.go        GetQuestionsResponse, DefaultConfigResponse, DefaultAssetsResponse
//   sdk/plugin/questions.go  Question, SubQuestion, Questions
package plugin

import "errors"

const (
	TypeTask Type = "task"
	TypeHook Type = "hook"
)

type Type string

type HookType string

type Mod string

type Entrypoint struct {
	Shell  string
	Script string
}

type Info struct {
	Name        string
	Description string
	PluginType  Type  `yaml:",omitempty"`
	PluginMods  []Mod `yaml:",omitempty"`

	PluginVersion string   `yaml:",omitempty"`
	APIVersion    []string `yaml:",omitempty"`

	Image string

	Entrypoint Entrypoint

	DependsOn []string `yaml:",omitempty"`

	HookType HookType `yaml:",omitempty"`
}

// Validate is sdk/plugin/plugin.go Info.Validate, verbatim.
func (info *Info) Validate() error {
	if info.Name == "" {
		return errors.New("plugin name cannot be empty")
	}
	if info.Image == "" {
		return errors.New("plugin image cannot be empty")
	}
	if info.PluginVersion == "" {
		return errors.New("plugin version cannot be empty")
	}
	if info.Entrypoint.Script == "" {
		return errors.New("entrypoint script cannot be empty")
	}
	switch info.PluginType {
	case TypeTask:
	case TypeHook:
	default:
		return errors.New("plugin type is not supported")
	}
	return nil
}

type Config struct {
	Name  string
	Value string
}

type Configs []Config

type Asset struct {
	Name  string
	Value string
}

type Assets []Asset

type GetQuestionsResponse struct {
	Questions Questions `yaml:",omitempty"`
}

type DefaultConfigResponse struct {
	Config Configs `yaml:"defaultconfig,omitempty"`
}

type DefaultAssetsResponse struct {
	Assets Assets `yaml:"defaultassets,omitempty"`
}

type Question struct {
	Name        string   `yaml:",omitempty"`
	Prompt      string   `yaml:",omitempty"`
	Help        string   `yaml:",omitempty"`
	Default     string   `yaml:",omitempty"`
	Multiselect []string `yaml:",omitempty"`

	SubQuestions []SubQuestion `yaml:",omitempty"`

	Regexp          string `yaml:",omitempty"`
	ValidationError string `yaml:",omitempty"`
	MinLength       int    `yaml:",omitempty"`
	MaxLength       int    `yaml:",omitempty"`
	Required        bool   `yaml:",omitempty"`
}

type SubQuestion struct {
	IfValue   string
	Questions Questions
}

type Questions []Question
