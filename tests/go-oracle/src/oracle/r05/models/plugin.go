// Package models re-declares the types of raystack/optimus models/plugin.go at v0.5.0
// (5116e0d0da19f887b2994c4b417e340ad869e078) that a yaml plugin is decoded into, with
// upstream's field names, Go types and yaml tags, and validateYamlPluginInfo (:507-530).
package models

import "errors"

const (
	PluginTypeTask PluginType = "task" // PluginType(InstanceTypeTask.String())
	PluginTypeHook PluginType = "hook"
)

type (
	PluginType string
	PluginMod  string
)

type HookType string

type PluginInfoResponse struct {
	Name        string
	Description string
	PluginType  PluginType  `yaml:",omitempty"`
	PluginMods  []PluginMod `yaml:",omitempty"`

	PluginVersion string   `yaml:",omitempty"`
	APIVersion    []string `yaml:",omitempty"`

	Image string

	SecretPath string `yaml:",omitempty"`

	DependsOn []string `yaml:",omitempty"`
	HookType  HookType `yaml:",omitempty"`
}

type PluginQuestion struct {
	Name        string   `yaml:",omitempty"`
	Prompt      string   `yaml:",omitempty"`
	Help        string   `yaml:",omitempty"`
	Default     string   `yaml:",omitempty"`
	Multiselect []string `yaml:",omitempty"`

	SubQuestions []PluginSubQuestion `yaml:",omitempty"`

	Regexp          string `yaml:",omitempty"`
	ValidationError string `yaml:",omitempty"`
	MinLength       int    `yaml:",omitempty"`
	MaxLength       int    `yaml:",omitempty"`
	Required        bool   `yaml:",omitempty"`
}

type PluginSubQuestion struct {
	IfValue   string
	Questions PluginQuestions
}

type PluginQuestions []PluginQuestion

type GetQuestionsResponse struct {
	Questions PluginQuestions `yaml:",omitempty"`
}

type PluginConfig struct {
	Name  string
	Value string
}

type PluginConfigs []PluginConfig

type DefaultConfigResponse struct {
	Config PluginConfigs `yaml:"defaultconfig,omitempty"`
}

type PluginAsset struct {
	Name  string
	Value string
}

type PluginAssets []PluginAsset

type DefaultAssetsResponse struct {
	Assets PluginAssets `yaml:"defaultassets,omitempty"`
}

var ErrUnsupportedPlugin = errors.New("unsupported plugin requested, make sure its correctly installed")

func ValidateYamlPluginInfo(info *PluginInfoResponse) error {
	if info.Name == "" {
		return errors.New("plugin name cannot be empty")
	}
	if info.Image == "" {
		return errors.New("plugin image cannot be empty")
	}
	if info.PluginVersion == "" {
		return errors.New("plugin version cannot be empty")
	}
	switch info.PluginType {
	case PluginTypeTask:
	case PluginTypeHook:
	default:
		return ErrUnsupportedPlugin
	}
	return nil
}
