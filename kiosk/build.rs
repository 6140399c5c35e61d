//! Compiles the Slint UI. Debug info is kept so the headless tests can find elements by
//! accessible label; translations are bundled so no gettext is needed at run time.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_debug_info(true)
        .with_bundled_translations(concat!(env!("CARGO_MANIFEST_DIR"), "/lang"));
    if let Err(error) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
