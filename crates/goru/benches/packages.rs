//! Importing from `/packages`: a stateless Python run that imports
//! python-dateutil's parser, from sources only and byte-compiled at install,
//! next to a run that imports nothing.
//!
//! `cargo bench -p goru --bench packages --profile dev`. The setup installs
//! `python-dateutil==2.9.0.post0` (with six) twice through the machine's pip,
//! so it needs the package index: once plainly, once with
//! `Installer::bytecode`. `docs/benchmarks.md` has figures.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use goru::packages::{InstallPolicy, Installer, Packages, Requirement};
use goru::{Executor, Python, RunOptions};

const PACKAGE: &str = "python-dateutil==2.9.0.post0";

fn install(installer: Installer, dir: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let requirement = Requirement::parse(PACKAGE).unwrap();
    runtime
        .block_on(installer.install(dir, &[requirement]))
        .unwrap_or_else(|e| panic!("installing {PACKAGE} failed: {e}"));
}

/// Runs `code` and fails the benchmark unless it succeeded.
fn run_checked(exec: &Executor, code: &str, options: RunOptions) {
    let result = exec
        .run_blocking(&Python, code, options)
        .unwrap_or_else(|e| panic!("{code:?} failed: {e}"));
    assert!(result.success(), "{code:?}: {}", result.stderr_lossy());
}

fn import_from_packages(c: &mut Criterion) {
    let exec = Executor::builder().precompile(Python).build().unwrap();
    let sources = tempfile::tempdir().unwrap();
    let compiled = tempfile::tempdir().unwrap();
    install(Installer::new(), sources.path());
    install(Installer::new().bytecode(exec.clone()), compiled.path());
    let import = "import dateutil.parser";
    let granted = |dir: &Path| {
        Packages::new(dir, InstallPolicy::Nothing)
            .grant(RunOptions::new(), &exec)
            .unwrap()
    };

    let mut group = c.benchmark_group("import_from_packages");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("no_import", |b| {
        b.iter(|| run_checked(&exec, "pass", granted(sources.path())))
    });
    group.bench_function("sources", |b| {
        b.iter(|| run_checked(&exec, import, granted(sources.path())))
    });
    group.bench_function("bytecode", |b| {
        b.iter(|| run_checked(&exec, import, granted(compiled.path())))
    });
    group.finish();
}

criterion_group!(benches, import_from_packages);
criterion_main!(benches);
