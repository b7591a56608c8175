//! The integration tests, as one test binary: one module per suite, and the shared harness in
//! `common/`. One binary links once and runs every suite's tests in one parallel pool.
//!
//!   cargo test --test it                      # every suite
//!   cargo test --test it hostile_archives::   # one suite (a filter on the module path)
//!   cargo test --test it tar_dotdot           # any test whose path contains the filter

mod common;

mod air_gap;
mod architecture;
mod cache_care;
mod container;
mod examples;
mod faults;
mod freshness;
mod fuzz_parsers;
mod go_yaml;
mod holes;
mod hostile_archives;
mod hostile_crash;
mod hostile_files;
mod hostile_integrity;
mod hostile_network;
mod http_auth;
mod install;
mod interop;
mod journal_rule;
mod mirrors;
mod mistakes;
mod mistakes_paths;
mod names;
mod newcomer;
mod objstore;
mod oci_images;
mod perf_paths;
mod plugin_pairs;
mod private_registry;
mod registry_identity;
mod registry_page;
mod release;
mod trust_state;
mod trust_surface;
mod upstream;
mod ux_cli;
mod ux_manage;
mod ux_sync;
mod ux_validate;
mod which_optimus;
