//! Every integration test of the central service, in one test binary.
//!
//! One binary instead of one per file: each would link the whole service and its
//! dependencies again (about 75 MB apiece), which filled CI's disk and spent minutes
//! linking. Run one file's tests with a filter: `cargo test -p anjungan-backend --test
//! suite console_browser::`.

// Shared helpers, used by different subsets of the files below.
mod browser;
mod common;
mod console_reports_support;

mod audit_durability;
mod cli;
mod console_browser;
mod console_fleet;
mod console_fleet_admin;
mod console_fleet_browser;
mod console_gates;
mod console_http;
mod console_imports;
mod console_imports_browser;
mod console_registry;
mod console_registry_browser;
mod console_reports;
mod console_reports_browser;
mod console_uploads;
mod console_uploads_browser;
mod console_uploads_process;
mod content_signing;
mod data_dir;
mod demo_data;
mod demo_rules;
mod fleet_api;
mod import_csv;
mod kiosk_budget;
mod kiosk_secrets;
mod letter_issue;
mod letter_pdf;
mod letters_api;
mod listener;
mod login_limits;
mod nik_entry;
mod other_desa;
mod postgres_tls;
mod registry_busy;
mod registry_families;
mod registry_import;
mod registry_store;
mod replay;
mod report_queue;
mod report_workflow;
mod reports_api;
mod staff_api;
mod status_api;
mod storage;
mod ticket_serials;
