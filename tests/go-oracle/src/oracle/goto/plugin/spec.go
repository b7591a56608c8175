// Package plugin is goto/optimus plugin/spec.go (16e61c9ae7c3cb3d8104b1943f87d9bea2e36df7,
// = v0.26.2; the same from v0.21.0): Spec and its parts with upstream's yaml tags, Load's
// decoding (:128-152) and Spec.Validate (:56-85), as Store.Add runs it (plugin/store.go:31-43).
package plugin

import (
	"errors"

	"gopkg.in/yaml.v3"
)

type ParserType string

const DefaultVersion = "default"

type Evaluator struct {
	Env      string `yaml:"env,omitempty"`
	FilePath string `yaml:"filepath,omitempty"`
	Selector string `yaml:"selector,omitempty"`
}

type Spec struct {
	SpecVersion int    `yaml:"version"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`

	DestinationURNTemplate string `yaml:"destination_urn_template,omitempty"`

	AssetParsers  map[ParserType][]Evaluator `yaml:"asset_parsers,omitempty"`
	PluginVersion map[string]VersionDetails  `yaml:"plugin_versions,omitempty"`
	DefaultConfig map[string]string          `yaml:"default_config,omitempty"`
}

type Entrypoint struct {
	Shell  string `yaml:"shell,omitempty"`
	Script string `yaml:"script,omitempty"`
}

type VersionDetails struct {
	Image      string     `yaml:"image,omitempty"`
	Tag        string     `yaml:"tag,omitempty"`
	Entrypoint Entrypoint `yaml:"entrypoint,omitempty"`
}

func (s *Spec) Validate() error {
	if s.Name == "" {
		return errors.New("plugin name is required")
	}
	if s.SpecVersion == 0 {
		return errors.New("plugin spec version is required")
	}
	if len(s.PluginVersion) == 0 {
		return errors.New("plugin versions are required")
	}
	def, ok := s.PluginVersion[DefaultVersion]
	if !ok {
		return errors.New("default version is required")
	}
	if def.Image == "" {
		return errors.New("default image is required")
	}
	if def.Tag == "" {
		return errors.New("default tag is required")
	}
	if def.Entrypoint.Script == "" {
		return errors.New("default entrypoint is required")
	}
	return nil
}

func Load(pluginBytes []byte) error {
	var p Spec
	if err := yaml.Unmarshal(pluginBytes, &p); err != nil {
		return err
	}
	return p.Validate()
}
