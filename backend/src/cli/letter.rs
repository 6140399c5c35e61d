//! `backend letter`: the letter queue at the command line, for a desa office without the
//! console yet, and the offline verifier. Each step acts as a named staff account (`--as`),
//! with that account's role and desa, exactly as the API would.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use backend::letters::{LetterCatalogue, workflow};
use backend::store::{LetterSettings, StaffRecord, Store};
use protocol::letter::LetterDocument;
use protocol::letter::seal::{DesaKeys, LetterSeal};

use super::{DatabaseArgs, SecretsArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Acting {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    secrets: SecretsArgs,
    /// The staff account acting (its role and desa decide what it may do).
    #[arg(long = "as")]
    staff: String,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Requests waiting for the account's desa, masked.
    List {
        #[command(flatten)]
        acting: Acting,
    },
    /// A request's letter as it will print (or as it was issued), at 48 columns.
    Preview {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        ticket: String,
    },
    /// An operator has checked the applicant's KTP: hand the request to the signer.
    Prepare {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        ticket: String,
    },
    /// A signer approves: the letter is issued, numbered and sealed.
    Approve {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        ticket: String,
        /// The public address printed for verification, e.g. https://anjungan.example/verify
        #[arg(long, env = "ANJUNGAN_VERIFY_URL")]
        verify_url: Option<String>,
    },
    /// Refuse a waiting request; the reason shows on the citizen's ticket.
    Reject {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        ticket: String,
        #[arg(long)]
        reason: String,
    },
    /// Cancel an issued letter; it keeps its number.
    Cancel {
        #[command(flatten)]
        acting: Acting,
        /// The letter's id (on the letter, under the QR).
        #[arg(long)]
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// An issued letter as an A4 PDF, for the archive or the office printer (written 0600:
    /// it holds the full NIK).
    Pdf {
        #[command(flatten)]
        acting: Acting,
        /// The letter's id (on the letter, under the QR).
        #[arg(long)]
        id: String,
        #[arg(long)]
        out: PathBuf,
        /// Mark it as a copy (SALINAN), as a reprint.
        #[arg(long)]
        copy: bool,
    },
    /// A desa's letter settings: number format, classification codes, office, kepala desa.
    Settings {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        desa: u64,
        /// e.g. "[kode]/[nomor, 3]/[kode_desa]/[bulan_romawi]/[tahun]"
        #[arg(long)]
        format: Option<String>,
        /// A type's classification code, `sktm=470`; repeat for more.
        #[arg(long = "code")]
        codes: Vec<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        head_name: Option<String>,
        #[arg(long)]
        head_position: Option<String>,
        #[arg(long)]
        head_nip: Option<String>,
    },
    /// One made-up letter of every type, as JSON (code and document), sealed with a fixed
    /// sample key: for reviewing the catalogue's texts and for golden tests.
    Samples,
    /// The desas' public keys, one per line: the file offline verifiers use.
    PublicKeys {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        secrets: SecretsArgs,
        /// Make this desa's key now if it has none (to publish it before its first letter).
        #[arg(long)]
        desa: Option<u64>,
    },
    /// Check a scanned QR payload against the desas' public keys, without the network.
    Verify {
        /// The QR code's text (`AJL1|...`).
        #[arg(long)]
        qr: String,
        /// A public key file (`letter public-keys`); without it, the database's keys.
        #[arg(long)]
        keys: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::List { acting } => {
            let (store, staff) = acting.open()?;
            let catalogue = LetterCatalogue::builtin();
            let waiting = store.waiting_letters(staff.desa_code)?;
            for letter in &waiting {
                let name = catalogue
                    .get(&letter.letter)
                    .map(|def| def.name.id.clone())
                    .unwrap_or_default();
                println!(
                    "{}  {}  {}  {}  NIK {}{}",
                    letter.ticket,
                    letter.filed_at,
                    name,
                    letter.applicant,
                    letter.nik_entry.as_str(),
                    letter
                        .prepared_by
                        .as_deref()
                        .map(|by| format!("  disiapkan {by}"))
                        .unwrap_or_default()
                );
            }
            println!("{} waiting", waiting.len());
            audit(&store, &staff, "letter_queue", format!("{} waiting", waiting.len()));
        }
        Command::Preview { acting, ticket } => {
            let (store, staff) = acting.open()?;
            let detail = detail_of(&store, &staff, &ticket)?;
            audit(&store, &staff, "letter_preview", format!("ticket:{}", detail.ticket));
            let document = match &detail.letter_id {
                Some(id) => store.letter(id)?.context("issued letter missing")?.document,
                None => workflow::draft(&store, &LetterCatalogue::builtin(), &staff, &detail)?,
            };
            print_document(&document);
        }
        Command::Prepare { acting, ticket } => {
            let (store, staff) = acting.open()?;
            may(&staff, workflow::Step::Prepare)?;
            let detail = detail_of(&store, &staff, &ticket)?;
            store.prepare_letter(&detail.ticket, &format!("staff:{}", staff.username))?;
            println!("{} prepared for the signer", detail.ticket);
        }
        Command::Approve { acting, ticket, verify_url } => {
            let (store, staff) = acting.open()?;
            let detail = detail_of(&store, &staff, &ticket)?;
            let issued = workflow::approve(
                &store,
                &LetterCatalogue::builtin(),
                &staff,
                &detail,
                verify_url,
            )?;
            store.flush_audit();
            println!("issued {} number {}", issued.id, issued.number);
        }
        Command::Reject { acting, ticket, reason } => {
            let (store, staff) = acting.open()?;
            may(&staff, workflow::Step::Reject)?;
            let detail = detail_of(&store, &staff, &ticket)?;
            let reason = clean_reason(&reason)?;
            store.reject_letter(
                &detail.ticket,
                &format!("staff:{}", staff.username),
                &protocol::Text::new(reason.clone(), reason),
            )?;
            println!("{} refused", detail.ticket);
        }
        Command::Cancel { acting, id, reason } => {
            let (store, staff) = acting.open()?;
            may(&staff, workflow::Step::Cancel)?;
            let letter = store.letter(&id)?.filter(|letter| staff.covers(letter.desa_code));
            let letter =
                letter.with_context(|| format!("no letter {id} of this account's desa"))?;
            let cancelled = store.cancel_letter(
                &letter.id,
                &format!("staff:{}", staff.username),
                &clean_reason(&reason)?,
            )?;
            println!("{} ({}) cancelled", cancelled.id, cancelled.number);
        }
        Command::Pdf { acting, id, out, copy } => {
            let (store, staff) = acting.open()?;
            let letter = store.letter(&id)?.filter(|letter| staff.covers(letter.desa_code));
            let letter =
                letter.with_context(|| format!("no letter {id} of this account's desa"))?;
            let mut document = letter.document;
            // A cancelled letter is only ever drawn as a copy.
            document.copy = copy || letter.cancelled.is_some();
            let pdf = backend::letters::pdf::letter_pdf(&document)?;
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&out)
                .and_then(|mut file| file.write_all(&pdf))
                .with_context(|| format!("write {}", out.display()))?;
            let outcome = if document.copy { "copy" } else { "original" };
            audit(&store, &staff, "letter_pdf", format!("letter:{} {outcome}", letter.id));
            println!("{} ({}) written to {}", letter.id, letter.number, out.display());
        }
        Command::Settings {
            database,
            desa,
            format,
            codes,
            address,
            head_name,
            head_position,
            head_nip,
        } => {
            backend::checks::known_desa(desa)?;
            let store = database.open()?;
            let mut settings = store.letter_settings(desa)?;
            if let Some(format) = format {
                settings.number_format = format;
            }
            for code in codes {
                let (letter, classification) = code
                    .split_once('=')
                    .with_context(|| format!("--code {code:?}: write type=code"))?;
                settings.codes.insert(letter.trim().to_owned(), classification.trim().to_owned());
            }
            set(&mut settings.address, address);
            set(&mut settings.head_name, head_name);
            set(&mut settings.head_position, head_position);
            if let Some(nip) = head_nip {
                settings.head_nip = Some(nip).filter(|nip| !nip.is_empty());
            }
            store.set_letter_settings(&settings, &super::actor())?;
            show_settings(&settings);
        }
        Command::Samples => {
            let samples = backend::letters::samples::samples(&LetterCatalogue::builtin());
            let map: Vec<serde_json::Value> = samples
                .into_iter()
                .map(|(code, document)| serde_json::json!({"code": code, "document": document}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&map)?);
        }
        Command::PublicKeys { database, secrets, desa } => {
            let store = database.open_sealed(&secrets)?;
            if let Some(desa) = desa {
                backend::checks::known_desa(desa)?;
                store.ensure_desa_key(desa)?;
            }
            print!("{}", store.desa_public_keys()?.file_text());
        }
        Command::Verify { qr, keys, database } => {
            let keys = match keys {
                Some(path) => DesaKeys::parse(
                    &std::fs::read_to_string(&path)
                        .with_context(|| format!("read {}", path.display()))?,
                )
                .map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))?,
                None => database.open()?.desa_public_keys()?,
            };
            match LetterSeal::verify(&qr, &keys) {
                Ok(seal) => {
                    println!("ASLI / GENUINE: {seal}");
                    println!("Compare the name, NIK, number and date with the paper.");
                }
                Err(error) => {
                    let text = error.text();
                    bail!("{}\n{}", text.id, text.en);
                }
            }
        }
    }
    Ok(())
}

fn set(field: &mut String, value: Option<String>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn show_settings(settings: &LetterSettings) {
    println!("desa {}: number format {}", settings.desa_code, settings.number_format);
    let codes: BTreeMap<_, _> = settings.codes.iter().collect();
    for (letter, code) in codes {
        println!("  code {letter} = {code}");
    }
    println!("  signer: {} ({})", settings.head_name, settings.head_position);
}

fn clean_reason(reason: &str) -> anyhow::Result<String> {
    workflow::clean_reason(reason).map_err(|why| anyhow::anyhow!("{}", why.en))
}

/// The same role rule as the API and the console.
fn may(staff: &StaffRecord, step: workflow::Step) -> anyhow::Result<()> {
    anyhow::ensure!(step.allowed(staff.role), "{}", step.refusal().en);
    Ok(())
}

fn audit(store: &Store, staff: &StaffRecord, action: &str, subject: String) {
    store.audit(backend::store::AuditEntry {
        at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        actor: format!("staff:{}", staff.username),
        action: action.into(),
        subject,
        outcome: "cli".into(),
    });
    store.flush_audit();
}

fn detail_of(
    store: &Store,
    staff: &StaffRecord,
    ticket: &str,
) -> anyhow::Result<backend::store::LetterDetail> {
    let ticket = protocol::ticket::Ticket::parse(ticket).context("ticket")?.to_string();
    store
        .letter_request(&ticket)?
        .filter(|detail| staff.covers(detail.desa_code))
        .with_context(|| format!("no letter request {ticket} of this account's desa"))
}

fn print_document(document: &LetterDocument) {
    for line in document.lines(48) {
        match line.style {
            protocol::letter::document::LineStyle::Rule => println!("{}", "-".repeat(48)),
            protocol::letter::document::LineStyle::Plain => println!("{}", line.text),
            _ => println!("{:^48}", line.text),
        }
    }
    if !document.qr.is_empty() {
        println!("\n[QR] {}", document.qr);
    }
    for line in document.footer_lines(48) {
        println!("{line}");
    }
}

impl Acting {
    fn open(&self) -> anyhow::Result<(Store, StaffRecord)> {
        let store = self.database.open_sealed(&self.secrets)?;
        let staff = store
            .staff_record(&self.staff)?
            .with_context(|| format!("no staff account {}", self.staff))?;
        Ok((store, staff))
    }
}
