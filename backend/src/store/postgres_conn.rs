//! PostgreSQL connections. The `postgres` client is synchronous but drives a Tokio runtime of
//! its own, which panics when called from a thread already inside a runtime (an async
//! handler, a test, the kiosk's demo). So each connection lives on a thread of its own and
//! the store hands it work over a channel; callers block exactly as they do on SQLite.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use super::StoreError;
use super::postgres_tls::PgTarget;
use super::sql::{Param, Row, Value, to_postgres_placeholders};

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// See [`PgConn::connect`].
const TEMP_BUFFERS: &str = "256MB";

/// A connection, served by its own thread; dropping it closes the connection.
pub(super) struct PgConn {
    jobs: mpsc::Sender<Job>,
}

/// The thread's side: the client and its prepared statements, keyed by the SQLite-style text.
struct Worker {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

fn gone() -> StoreError {
    StoreError::Corrupt("PostgreSQL connection thread stopped".into())
}

impl PgConn {
    /// Connects to `target` (over TLS when its policy says so); `schema`, when given, becomes
    /// the search path (tests use a schema each, in one database).
    pub(super) fn connect(target: &PgTarget, schema: Option<&str>) -> Result<PgConn, StoreError> {
        let mut config = target.config.clone();
        let tls = target.tls.clone();
        config.connect_timeout(Duration::from_secs(10));
        config.application_name("anjungan-backend");
        // Local buffers for temporary tables (an import's staged rows), taken only by a
        // session that uses them; PostgreSQL's 8 MB default sends a file's worth of staged
        // rows through temporary files over and over. Settable only before first use.
        // Options the URL itself gives (`?options=-c%20search_path%3D...`) are kept.
        let mut options = config.get_options().map(|given| format!("{given} ")).unwrap_or_default();
        options.push_str(&format!("-c temp_buffers={TEMP_BUFFERS}"));
        // Every cached statement is a point lookup or a keyed write: plan it once per
        // connection. Left to choose, PostgreSQL kept re-planning the status lookup's
        // statement on every run (0.5 ms of planning for 0.15 ms of work), because the
        // generic plan's estimate for the nonce count's range looked costlier.
        options.push_str(" -c plan_cache_mode=force_generic_plan");
        if let Some(schema) = schema {
            options.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(&options);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("postgres-conn".into())
            .spawn(move || {
                let connected = match tls {
                    Some(tls) => config.connect(tls),
                    None => config.connect(postgres::NoTls),
                };
                let client = match connected {
                    Ok(client) => client,
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                let mut worker = Worker { client, statements: HashMap::new() };
                while let Ok(job) = receiver.recv() {
                    job(&mut worker);
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start connection thread: {e}")))?;
        match connected.recv().map_err(|_| gone())? {
            Ok(()) => {}
            Err(error) if target.tls.is_some() => {
                return Err(super::postgres_tls::handshake_error(&target.config, error));
            }
            Err(error) => return Err(error.into()),
        }
        Ok(PgConn { jobs })
    }

    /// Runs `work` on the connection's thread and waits for its result.
    fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Worker) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, result) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |worker| {
                let _ = reply.send(work(worker));
            }))
            .map_err(|_| gone())?;
        result.recv().map_err(|_| gone())?
    }

    pub(super) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        let sql = sql.to_owned();
        self.call(move |worker| Ok(worker.client.batch_execute(&sql)?))
    }

    /// Runs a statement; `cached`: prepared once per connection and reused, else planned
    /// for this one run.
    pub(super) fn execute(
        &self,
        sql: &str,
        params: &[Param<'_>],
        cached: bool,
    ) -> Result<u64, StoreError> {
        let (sql, params) = (sql.to_owned(), owned(params));
        self.call(move |worker| {
            let statement = worker.statement(&sql, cached)?;
            Ok(worker.client.execute(&statement, &borrowed(&params))?)
        })
    }

    pub(super) fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
        cached: bool,
    ) -> Result<Vec<Row>, StoreError> {
        let (sql, params) = (sql.to_owned(), owned(params));
        self.call(move |worker| {
            let statement = worker.statement(&sql, cached)?;
            let rows = worker.client.query(&statement, &borrowed(&params))?;
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|index| Ok(row.try_get::<_, Value>(index)?))
                        .collect::<Result<Vec<_>, StoreError>>()
                        .map(Row)
                })
                .collect()
        })
    }
    /// Runs `COPY ... FROM STDIN` with `data` as the whole of its input (text or CSV, as
    /// `sql` says); returns the rows copied. The rows cross to the connection's thread as
    /// one buffer: a bulk load sends a chunk per call rather than a statement per row.
    pub(super) fn copy_in(&self, sql: &str, data: Vec<u8>) -> Result<u64, StoreError> {
        let sql = sql.to_owned();
        self.call(move |worker| {
            use std::io::Write;
            let mut writer = worker.client.copy_in(&sql)?;
            // A failed write means the server ended the COPY; `finish` then reports why.
            if let Err(error) = writer.write_all(&data) {
                return Err(match writer.finish() {
                    Err(server) => server.into(),
                    Ok(_) => StoreError::Corrupt(format!("COPY input not sent: {error}")),
                });
            }
            Ok(writer.finish()?)
        })
    }
}

impl Worker {
    fn statement(&mut self, sql: &str, cached: bool) -> Result<postgres::Statement, StoreError> {
        if !cached {
            // Dropping the statement closes it on the server once it has run.
            return Ok(self.client.prepare(&to_postgres_placeholders(sql))?);
        }
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&to_postgres_placeholders(sql))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// Parameters cross to the connection's thread as owned values.
fn owned(params: &[Param<'_>]) -> Vec<Value> {
    params
        .iter()
        .map(|param| match *param {
            Param::Null => Value::Null,
            Param::Int(n) => Value::Int(n),
            Param::Text(text) => Value::Text(text.to_owned()),
            Param::Bool(b) => Value::Bool(b),
        })
        .collect()
}

fn borrowed(params: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect()
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl postgres::types::ToSql for Value {
    /// Integers are narrowed to the column's width, refusing values that do not fit.
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, BoxError> {
        use postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) => match *ty {
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT8 => n.to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                _ => Err(format!("integer parameter for a {ty} column").into()),
            },
            Value::Text(text) => text.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> postgres::types::FromSql<'a> for Value {
    fn from_sql(ty: &postgres::types::Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        use postgres::types::Type;
        Ok(match *ty {
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_ty: &postgres::types::Type) -> Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        use postgres::types::Type;
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL)
            || <String as postgres::types::FromSql>::accepts(ty)
    }
}
