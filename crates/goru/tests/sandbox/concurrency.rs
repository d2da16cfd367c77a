//! Many runs at once from separate tasks: each gets its own output.

use goru::{JavaScript, Language, Python};

use crate::common::{executor, opts};

#[test]
fn sixteen_concurrent_runs_keep_their_output_apart() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                tokio::spawn(async move {
                    let (language, code): (&dyn Language, String) = if i % 2 == 0 {
                        (&Python, format!("for _ in range(200): print({i})"))
                    } else {
                        (
                            &JavaScript,
                            format!("for (let k = 0; k < 200; k++) console.log({i})"),
                        )
                    };
                    let result = executor().run(language, &code, opts()).await.unwrap();
                    (i, result)
                })
            })
            .collect();
        for task in tasks {
            let (i, result) = task.await.unwrap();
            assert!(result.success(), "run {i}: {}", result.stderr_lossy());
            assert_eq!(result.stdout_lossy(), format!("{i}\n").repeat(200), "run {i}");
        }
    });
}
