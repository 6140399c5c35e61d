//! Program definitions: parsed from TOML, checked, and turned into lookup tables the engine
//! reads without searching.

use std::collections::{HashMap, HashSet};

use protocol::Text;
use serde::Deserialize;

/// The catalogue shipped with the service.
pub const DEFAULT_TOML: &str = include_str!("../../programs.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Central,
    Province,
    Regency,
    Village,
    Community,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Person,
    Household,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Central => "central",
            Level::Province => "province",
            Level::Regency => "regency",
            Level::Village => "village",
            Level::Community => "community",
        }
    }
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Person => "person",
            Unit::Household => "household",
        }
    }
}

/// Whose memberships a rule looks at: the subject only, or the whole KK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Person,
    Household,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Female,
    PregnantOrNursing,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub code: String,
    pub name: Text,
}

/// "Not together with `program` (optionally only its `component`) within `scope`."
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub program: String,
    #[serde(default)]
    pub component: Option<String>,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub code: String,
    pub name: Text,
    pub level: Level,
    pub unit: Unit,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub components: Vec<Component>,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(default)]
    pub exclusions: Vec<Rule>,
    #[serde(default)]
    pub allowances: Vec<Rule>,
    #[serde(default)]
    pub quota_per_desa: Option<u32>,
    /// Desa code -> quota, overriding `quota_per_desa`.
    #[serde(default)]
    pub quota_overrides: HashMap<String, u32>,
    #[serde(default)]
    pub only_if_uncovered: bool,
    /// Only for families DTSEN ranks in these welfare deciles (`desil = [1, 4]`, both
    /// included); a family outside them, or not ranked, is refused.
    #[serde(default)]
    pub desil: Option<DesilRange>,
    /// The program a citizen's report at the kiosk asks for, on behalf of their family;
    /// exactly one program of a catalogue carries it.
    #[serde(default)]
    pub citizen_reports: bool,
}

/// DTSEN welfare deciles from `lowest` to `highest`, both included; 1 is the poorest tenth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "[u8; 2]")]
pub struct DesilRange {
    pub lowest: u8,
    pub highest: u8,
}

impl From<[u8; 2]> for DesilRange {
    fn from([lowest, highest]: [u8; 2]) -> DesilRange {
        DesilRange { lowest, highest }
    }
}

impl DesilRange {
    pub fn contains(self, desil: u8) -> bool {
        (self.lowest..=self.highest).contains(&desil)
    }

    /// A range of real deciles: 1 to 10, lowest first.
    fn is_valid(self) -> bool {
        1 <= self.lowest && self.lowest <= self.highest && self.highest <= 10
    }
}

impl std::fmt::Display for DesilRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.lowest == self.highest {
            write!(f, "{}", self.lowest)
        } else {
            write!(f, "{}-{}", self.lowest, self.highest)
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    program: Vec<Program>,
}

/// Why a catalogue was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    #[error("programs file is not valid TOML for the catalogue: {0}")]
    Syntax(String),
    #[error("program {0} is defined twice")]
    Duplicate(String),
    #[error("program {program} refers to unknown program {unknown}")]
    UnknownProgram { program: String, unknown: String },
    #[error("program {program} refers to unknown component {component} of {of}")]
    UnknownComponent { program: String, of: String, component: String },
    #[error("program {program}: {problem}")]
    Invalid { program: String, problem: String },
    #[error(
        "exactly one program must have citizen_reports = true (the program citizen reports ask for); found [{}]",
        .0.join(", ")
    )]
    ReportProgram(Vec<String>),
}

/// A checked catalogue with its conflict table.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub version: u32,
    programs: Vec<Program>,
    index: HashMap<String, usize>,
    /// For each program, everything it may not be combined with: its own exclusions, the
    /// mirror of others' exclusions, and its groups.
    conflicts: Vec<Vec<Conflict>>,
    /// Position of the program carrying `citizen_reports`.
    report_program: usize,
}

/// One entry of the conflict table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Conflict {
    /// Applies only when the request is for this component of the program.
    pub requested_component: Option<String>,
    pub held_program: String,
    /// Applies only when the held membership has this component.
    pub held_component: Option<String>,
    pub scope: Scope,
}

impl Catalogue {
    pub fn default_catalogue() -> Catalogue {
        // The shipped file is tested; failing here would be a build defect.
        Catalogue::from_toml_str(DEFAULT_TOML).unwrap_or_else(|error| panic!("{error}"))
    }

    pub fn load(path: &std::path::Path) -> Result<Catalogue, CatalogueError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| CatalogueError::Syntax(format!("{}: {error}", path.display())))?;
        Catalogue::from_toml_str(&text)
    }

    pub fn from_toml_str(text: &str) -> Result<Catalogue, CatalogueError> {
        let file: File =
            toml::from_str(text).map_err(|error| CatalogueError::Syntax(error.to_string()))?;
        let mut index = HashMap::new();
        for (position, program) in file.program.iter().enumerate() {
            if index.insert(program.code.clone(), position).is_some() {
                return Err(CatalogueError::Duplicate(program.code.clone()));
            }
            if program.unit == Unit::Person && program.quota_per_desa.is_some() {
                // Quotas are counted in households (BLT-DD); a person quota is not modelled.
                return Err(CatalogueError::Invalid {
                    program: program.code.clone(),
                    problem: "quota_per_desa is only supported for household programs".into(),
                });
            }
            if let Some(range) = program.desil
                && !range.is_valid()
            {
                return Err(CatalogueError::Invalid {
                    program: program.code.clone(),
                    problem: format!(
                        "desil = [{}, {}]: deciles run from 1 to 10, the lowest first",
                        range.lowest, range.highest
                    ),
                });
            }
        }
        for program in &file.program {
            for rule in program.exclusions.iter().chain(&program.allowances) {
                let Some(&other) = index.get(&rule.program) else {
                    return Err(CatalogueError::UnknownProgram {
                        program: program.code.clone(),
                        unknown: rule.program.clone(),
                    });
                };
                if let Some(component) = &rule.component
                    && !file.program[other].components.iter().any(|c| &c.code == component)
                {
                    return Err(CatalogueError::UnknownComponent {
                        program: program.code.clone(),
                        of: rule.program.clone(),
                        component: component.clone(),
                    });
                }
            }
        }
        let mut conflicts: Vec<Vec<Conflict>> = vec![Vec::new(); file.program.len()];
        for (position, program) in file.program.iter().enumerate() {
            for rule in &program.exclusions {
                conflicts[position].push(Conflict {
                    requested_component: None,
                    held_program: rule.program.clone(),
                    held_component: rule.component.clone(),
                    scope: rule.scope,
                });
                // "NUTRISI excludes PKH/ibu_hamil" also means "PKH for ibu_hamil excludes
                // a holder of NUTRISI".
                conflicts[index[&rule.program]].push(Conflict {
                    requested_component: rule.component.clone(),
                    held_program: program.code.clone(),
                    held_component: None,
                    scope: rule.scope,
                });
            }
            for other in &file.program {
                let shared = program.groups.iter().any(|g| other.groups.contains(g));
                if other.code != program.code && shared {
                    conflicts[position].push(Conflict {
                        requested_component: None,
                        held_program: other.code.clone(),
                        held_component: None,
                        scope: Scope::Household,
                    });
                }
            }
        }
        // Allowances override every exclusion and group rule between the two programs.
        for (position, program) in file.program.iter().enumerate() {
            for allowed in &program.allowances {
                let other = index[&allowed.program];
                conflicts[position].retain(|c| {
                    c.held_program != allowed.program
                        || (allowed.component.is_some() && c.held_component != allowed.component)
                });
                conflicts[other].retain(|c| c.held_program != program.code);
            }
        }
        for list in &mut conflicts {
            let mut seen = HashSet::new();
            list.retain(|conflict| seen.insert(conflict.clone()));
        }
        let report_program = report_program(&file.program)?;
        Ok(Catalogue {
            version: file.version,
            programs: file.program,
            index,
            conflicts,
            report_program,
        })
    }

    pub fn program(&self, code: &str) -> Option<&Program> {
        self.index.get(code).map(|&i| &self.programs[i])
    }

    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// The program citizen reports ask for (and staff verify them against).
    pub fn report_program(&self) -> &Program {
        &self.programs[self.report_program]
    }

    /// What `code` may not be combined with.
    pub(super) fn conflicts_of(&self, code: &str) -> &[Conflict] {
        self.index.get(code).map(|&i| self.conflicts[i].as_slice()).unwrap_or(&[])
    }

    /// The quota of a program in a desa, if it has one.
    pub fn quota(&self, code: &str, desa: u64) -> Option<u32> {
        let program = self.program(code)?;
        program.quota_overrides.get(&desa.to_string()).copied().or(program.quota_per_desa)
    }
}

/// The one program carrying `citizen_reports`. It must be a household program: a report is
/// verified for the reporter's family, and its membership is written for the KK.
fn report_program(programs: &[Program]) -> Result<usize, CatalogueError> {
    let marked: Vec<usize> = (0..programs.len()).filter(|&i| programs[i].citizen_reports).collect();
    let [position] = marked[..] else {
        return Err(CatalogueError::ReportProgram(
            marked.iter().map(|&i| programs[i].code.clone()).collect(),
        ));
    };
    if programs[position].unit != Unit::Household {
        return Err(CatalogueError::Invalid {
            program: programs[position].code.clone(),
            problem: "citizen_reports is only supported for household programs".into(),
        });
    }
    Ok(position)
}
