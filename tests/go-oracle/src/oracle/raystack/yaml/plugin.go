// Package yaml is raystack/optimus plugin/yaml (5874457c7bbe9ed08f41c8300e984ac7fc28f78a):
// PluginSpec and the part of NewPluginSpec that reads a file (plugin/yaml/plugin.go:23-28,
// 90-117), then PluginInfo().Validate() as AddYaml does (internal/models/plugin.go:71-84).
package yaml

import (
	"strings"

	"gopkg.in/yaml.v2"

	"oracle/raystack/plugin"
)

type PluginSpec struct {
	plugin.Info                  `yaml:",inline,omitempty"`
	plugin.GetQuestionsResponse  `yaml:",inline,omitempty"`
	plugin.DefaultAssetsResponse `yaml:",inline,omitempty"`
	plugin.DefaultConfigResponse `yaml:",inline,omitempty"`
}

// Load decodes as NewPluginSpec does, then validates as AddYaml does.
func Load(pluginBytes []byte) error {
	var p PluginSpec
	if err := yaml.UnmarshalStrict(pluginBytes, &p); err != nil {
		return err
	}
	if p.Info.Entrypoint.Shell == "" {
		p.Info.Entrypoint.Shell = "/bin/sh"
	}
	p.Info.Entrypoint.Script = strings.ReplaceAll(p.Info.Entrypoint.Script, "\n", "; ")
	info := plugin.Info{
		Name:          p.Name,
		Description:   p.Description,
		Image:         p.Image,
		Entrypoint:    p.Entrypoint,
		PluginType:    p.PluginType,
		PluginMods:    []plugin.Mod{"cli"},
		PluginVersion: p.PluginVersion,
		HookType:      p.HookType,
		DependsOn:     p.DependsOn,
		APIVersion:    p.APIVersion,
	}
	return info.Validate()
}
