//! `kiosk bench` runs end to end and prints every figure it promises (the figures themselves
//! are read by people, not asserted: a timed test would measure the CI machine).

#[test]
fn bench_prints_start_memory_and_print_figures() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("bench")
        .output()
        .expect("run kiosk bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for expected in [
        "cold start to first frame:",
        "RSS after start:",
        "RSS after status check:",
        "RSS after printing the slip:",
        "RSS after a report:",
        "RSS after a letter request:",
        "RSS after tracking a ticket:",
        "tap to print",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    // Every figure is a number, not NaN from a failed reading.
    assert!(!stdout.contains("NaN"), "{stdout}");
}
