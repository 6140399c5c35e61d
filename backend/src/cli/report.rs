//! `backend report`: a staff step on a citizen's report, decided with the `--programs`
//! catalogue like the service's.

use anyhow::Context;
use backend::workflow::{Step, advance};

use super::{DatabaseArgs, ProgramsArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Ticket number, e.g. LP-0000-000123-8.
    #[arg(long)]
    ticket: String,
    #[command(flatten)]
    programs: ProgramsArgs,
    #[command(subcommand)]
    step: ReportStep,
}

#[derive(clap::Subcommand)]
enum ReportStep {
    Verify,
    Reject {
        /// Reason in Indonesian, shown on the ticket.
        #[arg(long)]
        reason_id: String,
        /// Reason in English.
        #[arg(long)]
        reason_en: String,
    },
    Schedule {
        /// Batch date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
    Deliver,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let catalogue = args.programs.load()?;
    let store = args.database.open_with(&catalogue)?;
    let ticket = protocol::ticket::Ticket::parse(&args.ticket).context("ticket")?;
    let step = match args.step {
        ReportStep::Verify => Step::Verify,
        ReportStep::Reject { reason_id, reason_en } => {
            Step::Reject(protocol::Text::new(reason_id, reason_en))
        }
        ReportStep::Schedule { date } => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            Step::Schedule(time::Date::parse(&date, &format).context("date")?)
        }
        ReportStep::Deliver => Step::Deliver,
    };
    let status = advance(&store, &catalogue, &ticket, &step, &super::actor());
    store.flush_audit();
    let status = status?;
    println!("{} is now {}", status.ticket, status.state.text().id);
    if let Some(reason) = status.reason {
        println!("reason: {}", reason.id);
    }
    Ok(())
}
