//! `install_package` with the machine's real pip: offered only when
//! installing is allowed, limited to the allow-list, and what it installs
//! is importable at once.

use goru::{InstallPolicy, Packages};

use super::*;

#[tokio::test]
async fn install_package_installs_what_is_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let packages = dir.path().join("packages");
    let server = McpServer::builder(executor())
        .packages(Packages::new(&packages, InstallPolicy::only(["six"])))
        .build();
    let mut client = Client::connect(&server).await;

    let tools = client.request("tools/list", json!({})).await;
    let install = tools["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["name"] == "install_package")
        .cloned()
        .expect("install_package is offered");
    assert!(
        install["description"]
            .as_str()
            .unwrap_or_default()
            .contains("Only these may be installed: six"),
        "{install}"
    );

    let refused = client.call("install_package", json!({"name": "attrs"})).await;
    assert!(
        is_error(&refused) && text(&refused).contains("attrs"),
        "{refused}"
    );

    let installed = client.call("install_package", json!({"name": "six"})).await;
    assert!(!is_error(&installed), "{installed}");
    assert!(text(&installed).starts_with("Installed: six "), "{installed}");
    assert!(packages.join("six.py").is_file());

    let result = client
        .call("run_python", json!({"code": "import six\nprint(six.__name__)"}))
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "six\n", "{result}");
    // JavaScript has no packages; its description says nothing of them.
    let tools = client.request("tools/list", json!({})).await;
    let js = tools["result"]["tools"][1]["description"]
        .as_str()
        .expect("description")
        .to_owned();
    assert!(!js.contains("/packages"), "{js}");
    let python = tools["result"]["tools"][0]["description"]
        .as_str()
        .expect("description")
        .to_owned();
    assert!(python.contains("six "), "installed packages are named: {python}");
    client.close().await;
}
