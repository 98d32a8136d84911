//! Launching the app on the demo project (`--library L --folder F`): the window comes up,
//! IPC answers, every shot is listed in order with its take count, and the page runs under
//! a CSP that refuses inline styles while the app's own stylesheet applies.

use serde_json::Value;
use takeboard_e2e::ui::{self, ShotRow};
use takeboard_e2e::{e2e_enabled, wait_until, App, ClipFolder, E2eError, UI_TIMEOUT};

#[test]
fn the_demo_project_lists_every_shot_with_its_take_count() -> Result<(), E2eError> {
    if !e2e_enabled("the_demo_project_lists_every_shot_with_its_take_count") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();

    let info = wait_until("app_info over IPC", UI_TIMEOUT, || {
        Ok(session.invoke("app_info", serde_json::json!({}))?.ok())
    })
    .map_err(|e| app.with_log(e))?;
    assert_eq!(
        info["libraryPath"],
        Value::from(app.library().display().to_string())
    );
    assert_eq!(
        info["folders"],
        serde_json::json!([demo.path().display().to_string()]),
        "{info}"
    );
    let media = info["mediaBaseUrl"].as_str().unwrap_or_default();
    assert!(
        media.starts_with("http://127.0.0.1:"),
        "media server URL: {info}"
    );
    assert_eq!(
        info["mediaToken"].as_str().map(str::len),
        Some(64),
        "{info}"
    );

    // scripts/make-demo.sh: SH010 = 5 Flash + 1 Standard, SH020 = 4 Flash, SH030 = 6 Flash.
    let row = |code: &str, takes: &str| ShotRow {
        code: code.to_owned(),
        takes: takes.to_owned(),
        state: "exploring".to_owned(),
    };
    let expected = vec![
        row("SH010", "6 takes"),
        row("SH020", "4 takes"),
        row("SH030", "6 takes"),
    ];
    let mut seen = Vec::new();
    wait_until(
        "the three demo shots with their take counts",
        UI_TIMEOUT,
        || {
            seen = ui::shot_rows(session)?;
            Ok((seen == expected).then_some(()))
        },
    )
    .map_err(|e| app.with_log(E2eError::Setup(format!("{e}\nshot list: {seen:#?}"))))?;

    let csp = session.execute_async(CSP_PROBE, &[])?;
    assert_eq!(
        csp["injected"], "",
        "an injected <style> must not apply: {csp}"
    );
    assert!(
        csp["violations"].as_array().is_some_and(|v| v
            .iter()
            .any(|d| d.as_str().is_some_and(|d| d.starts_with("style-src")))),
        "the refusal is a style-src violation: {csp}"
    );
    assert_eq!(
        csp["ownStyles"], "5px",
        "the app's stylesheet applies: {csp}"
    );
    app.close()
}

/// Injects an inline `<style>` and reports whether it applied, the CSP violations seen,
/// and a property the app's own stylesheet sets (a shot row's padding).
const CSP_PROBE: &str = r#"
const done = arguments[0];
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
const style = document.createElement('style');
style.textContent = ':root { --csp-probe: injected; }';
document.head.append(style);
const row = document.querySelector('[data-shot-id]');
requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => done({
  injected: getComputedStyle(document.documentElement).getPropertyValue('--csp-probe').trim(),
  violations,
  ownStyles: row ? getComputedStyle(row).paddingTop : null,
}), 50)));
"#;
