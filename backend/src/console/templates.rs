//! The console's templates, embedded in the binary (no file is read at run time) and
//! rendered by minijinja with HTML escaping on: every value a page shows is text, never
//! markup, whatever a resident's name or a citizen's answer holds. Undefined names are
//! errors, so a misspelt field fails the tests instead of showing nothing.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// Every template, by the name pages render it with. `macros.html` holds the bilingual
/// label (`t`) every page uses.
pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    ("macros.html", include_str!("../../console/templates/macros.html")),
    ("base.html", include_str!("../../console/templates/base.html")),
    ("error.html", include_str!("../../console/templates/error.html")),
    ("login.html", include_str!("../../console/templates/login.html")),
    ("password.html", include_str!("../../console/templates/password.html")),
    ("dashboard.html", include_str!("../../console/templates/dashboard.html")),
    ("letters.html", include_str!("../../console/templates/letters.html")),
    ("letter.html", include_str!("../../console/templates/letter.html")),
    ("reports.html", include_str!("../../console/templates/reports.html")),
    ("report.html", include_str!("../../console/templates/report.html")),
    ("report_batches.html", include_str!("../../console/templates/report_batches.html")),
    ("registry.html", include_str!("../../console/templates/registry.html")),
    ("family.html", include_str!("../../console/templates/family.html")),
    ("programs.html", include_str!("../../console/templates/programs.html")),
    ("imports.html", include_str!("../../console/templates/imports.html")),
    ("import_job.html", include_str!("../../console/templates/import_job.html")),
    ("public_lists.html", include_str!("../../console/templates/public_lists.html")),
    ("public_list.html", include_str!("../../console/templates/public_list.html")),
    ("fleet.html", include_str!("../../console/templates/fleet.html")),
    ("kiosk.html", include_str!("../../console/templates/kiosk.html")),
    ("audit.html", include_str!("../../console/templates/audit.html")),
    ("charts.html", include_str!("../../console/templates/charts.html")),
    ("alerts.html", include_str!("../../console/templates/alerts.html")),
];

pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The environment with every template; one that does not parse is logged and its
    /// pages answer 500 (the unit tests parse them all).
    pub(crate) fn load() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Said explicitly rather than left to the default, which could change.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None }
        });
        for (name, source) in TEMPLATES {
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, template = name, "console template does not parse");
            }
        }
        Templates { env }
    }

    pub(crate) fn render(
        &self,
        name: &str,
        context: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn values_are_escaped_as_text() {
        let templates = Templates::load();
        let page = minijinja::context! {
            layout => minijinja::context! {
                title => minijinja::context! { id => "Uji", en => "Test" },
                user => (), nav => Vec::<()>::new(), csrf => "", css => "/c.css",
                logout => "/console/logout",
            },
            page => minijinja::context! {
                status => 404,
                message => minijinja::context! {
                    id => "<script>alert(1)</script>", en => "\"><img src=x onerror=alert(2)>",
                },
            },
        };
        let html = templates.render("error.html", page).expect("renders");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
    }
}
