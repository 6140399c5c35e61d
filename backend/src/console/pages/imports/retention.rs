//! How long an uploaded file is kept. A dry run's upload stays so that it can be applied,
//! but a kabupaten's population file is hundreds of megabytes, and a dry run nobody applied
//! would otherwise stay on the server's disk for good. Uploads last written more than
//! [`KEEP_UPLOADS`] ago are removed when the service starts and whenever a new upload
//! arrives; their jobs and reports stay, and the job page no longer offers to apply them
//! (`job::applicable` asks for the file).

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::Jobs;

/// A week: time for the kabupaten to read a dry run's report and apply it.
pub(crate) const KEEP_UPLOADS: Duration = Duration::from_secs(7 * 24 * 3600);

/// The name every kept upload ends with (`Jobs::upload_path`).
const UPLOAD_SUFFIX: &str = ".upload.csv";

impl Jobs {
    /// Removes the uploads older than [`KEEP_UPLOADS`], except those of jobs this process
    /// is running; returns how many went.
    pub(crate) fn prune_uploads(&self) -> usize {
        let running: Vec<String> = self
            .running
            .lock()
            .map(|jobs| jobs.iter().map(|job| format!("{}{UPLOAD_SUFFIX}", job.id)).collect())
            .unwrap_or_default();
        prune(&self.dir, SystemTime::now(), KEEP_UPLOADS, &running)
    }
}

/// Removes the uploads in `dir` last written before `now - keep`, but those named in
/// `spare`.
fn prune(dir: &Path, now: SystemTime, keep: Duration, spare: &[String]) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(UPLOAD_SUFFIX) || spare.contains(&name) {
            continue;
        }
        let written = entry.metadata().and_then(|meta| meta.modified());
        let old = written.is_ok_and(|at| now.duration_since(at).is_ok_and(|age| age > keep));
        if !old {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(error) => tracing::warn!(%error, file = %name, "old upload not removed"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "uploads past their week removed");
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, age: Duration) {
        let path = dir.join(name);
        let handle = std::fs::File::create(&path).expect("create");
        handle.set_modified(SystemTime::now() - age).expect("set mtime");
    }

    #[test]
    fn uploads_past_a_week_go_and_reports_and_running_jobs_stay() {
        let dir = std::env::temp_dir().join(format!("anjungan-retention-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let day = Duration::from_secs(24 * 3600);
        file(&dir, "old.upload.csv", 8 * day);
        file(&dir, "fresh.upload.csv", 6 * day);
        file(&dir, "old.report.csv", 30 * day);
        file(&dir, "running.upload.csv", 9 * day);

        let removed =
            prune(&dir, SystemTime::now(), KEEP_UPLOADS, &["running.upload.csv".to_owned()]);

        assert_eq!(removed, 1);
        assert!(!dir.join("old.upload.csv").exists());
        for kept in ["fresh.upload.csv", "old.report.csv", "running.upload.csv"] {
            assert!(dir.join(kept).exists(), "{kept} removed");
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
