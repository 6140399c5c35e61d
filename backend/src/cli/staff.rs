//! `backend staff-add` and `staff-disable`: desa staff accounts.

use backend::checks::known_desa;

use super::DatabaseArgs;

#[derive(clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Username: 2-32 of a-z 0-9 . _ -
    #[arg(long)]
    username: String,
    /// Ten-digit code of the desa the account acts for; without it, every desa
    /// (kabupaten operators).
    #[arg(long)]
    desa: Option<u64>,
    /// operator (prepares letters), signer (kepala desa or delegate: approves), kabupaten,
    /// auditor (reads only).
    #[arg(long, default_value = "operator")]
    role: String,
    /// Full name printed under the letters a signer approves.
    #[arg(long, default_value = "")]
    name: String,
    /// Position printed under it, e.g. "Sekretaris Desa Aliyan".
    #[arg(long, default_value = "")]
    position: String,
}

pub fn add(args: AddArgs) -> anyhow::Result<()> {
    let role = backend::store::StaffRole::parse(&args.role)
        .ok_or_else(|| anyhow::anyhow!("--role: operator, signer, kabupaten or auditor"))?;
    if let Some(desa) = args.desa {
        known_desa(desa)?;
    }
    let password = super::read_secret_line("password")?;
    let store = args.database.open()?;
    store.set_staff(&args.username, &password, args.desa)?;
    store.set_staff_role(&args.username, role, &args.name, &args.position)?;
    println!("staff account {} ready", args.username);
    Ok(())
}

#[derive(clap::Args)]
pub struct DisableArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    username: String,
}

pub fn disable(args: DisableArgs) -> anyhow::Result<()> {
    let store = args.database.open()?;
    let username = &args.username;
    anyhow::ensure!(store.disable_staff(username)?, "no staff account {username}");
    println!("staff account {username} disabled");
    Ok(())
}
