// Package yaml is raystack/optimus plugin/yaml at v0.5.0 (5116e0d0da19f887b2994c4b417e340ad869e078):
// PluginSpec (plugin/yaml/plugin.go:21-26), NewPluginSpec's decoding (:90-107), then
// PluginInfo() and AddYaml's validateYamlPluginInfo (models/plugin.go:470-530).
package yaml

import (
	"gopkg.in/yaml.v2"

	"oracle/r05/models"
)

type PluginSpec struct {
	models.PluginInfoResponse    `yaml:",inline,omitempty"`
	models.GetQuestionsResponse  `yaml:",inline,omitempty"`
	models.DefaultAssetsResponse `yaml:",inline,omitempty"`
	models.DefaultConfigResponse `yaml:",inline,omitempty"`
}

func Load(pluginBytes []byte) error {
	var p PluginSpec
	if err := yaml.UnmarshalStrict(pluginBytes, &p); err != nil {
		return err
	}
	info := models.PluginInfoResponse{
		Name:          p.Name,
		Description:   p.Description,
		Image:         p.Image,
		SecretPath:    p.SecretPath,
		PluginType:    p.PluginType,
		PluginMods:    []models.PluginMod{"cli"},
		PluginVersion: p.PluginVersion,
		HookType:      p.HookType,
		DependsOn:     p.DependsOn,
		APIVersion:    p.APIVersion,
	}
	return models.ValidateYamlPluginInfo(&info)
}
