//! A minimal W3C WebDriver client over blocking `ureq`: sessions, elements, scripts,
//! screenshots. Only what the Takeboard suite uses.
//!
//! Why not `thirtyfour`: tauri-driver accepts only `alwaysMatch` capabilities holding
//! `tauri:options` (no `browserName` other than `wry`, no `webSocketUrl`), and a client
//! library's capability handling is one more thing to keep in step with it; thirtyfour also
//! brings a tokio/reqwest stack for what is a dozen JSON requests. Raw W3C JSON keeps every
//! byte sent to the driver visible in this file.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::{wait_until, E2eError};

/// W3C key codes for the non-character keys the keyboard map uses.
pub mod key {
    /// Shift (held while another key is pressed).
    pub const SHIFT: &str = "\u{E008}";
    /// Escape.
    pub const ESCAPE: &str = "\u{E00C}";
    /// Tab.
    pub const TAB: &str = "\u{E004}";
    /// End.
    pub const END: &str = "\u{E010}";
    /// Home.
    pub const HOME: &str = "\u{E011}";
    /// Left arrow.
    pub const LEFT: &str = "\u{E012}";
    /// Right arrow.
    pub const RIGHT: &str = "\u{E014}";
    /// Down arrow.
    pub const DOWN: &str = "\u{E015}";
    /// Up arrow.
    pub const UP: &str = "\u{E013}";
}

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one WebDriver call may take (a screenshot of a large window is the slowest).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// An element found in the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    id: String,
}

/// One WebDriver session: one launched app. Deleted (app closed) on drop.
pub struct Session {
    agent: ureq::Agent,
    /// `http://127.0.0.1:<port>/session/<id>`.
    base: String,
    deleted: bool,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(CALL_TIMEOUT))
        .build()
        .into()
}

/// Sends one request and unwraps the W3C `{"value": …}` envelope, turning a WebDriver error
/// object into [`E2eError::WebDriver`].
fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> Result<Value, E2eError> {
    let response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, Some(body)) => agent.post(url).send_json(body),
        (_, None) => agent.post(url).send_json(json!({})),
    };
    let mut response = response.map_err(|e| E2eError::Http(format!("{method} {url}: {e}")))?;
    let status = response.status().as_u16();
    let reply: Value = response
        .body_mut()
        .read_json()
        .map_err(|e| E2eError::Http(format!("{method} {url}: unreadable reply: {e}")))?;
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if status >= 400 {
        return Err(E2eError::WebDriver {
            call: format!("{method} {url}"),
            error: value["error"]
                .as_str()
                .unwrap_or("unknown error")
                .to_owned(),
            message: value["message"].as_str().unwrap_or("").to_owned(),
        });
    }
    Ok(value)
}

/// Asks the driver at `driver_url` whether it is ready for a new session.
pub fn driver_ready(driver_url: &str) -> bool {
    call(&agent(), "GET", &format!("{driver_url}/status"), None)
        .map(|v| v["ready"].as_bool().unwrap_or(false))
        .unwrap_or(false)
}

impl Session {
    /// Launches `application` with `args` through tauri-driver and opens a session on it.
    pub fn new(driver_url: &str, application: &Path, args: &[String]) -> Result<Session, E2eError> {
        let agent = agent();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": {
                        "application": application.display().to_string(),
                        "args": args,
                    }
                }
            }
        });
        let value = call(
            &agent,
            "POST",
            &format!("{driver_url}/session"),
            Some(&capabilities),
        )?;
        let id = value["sessionId"].as_str().ok_or_else(|| {
            E2eError::Protocol(format!("new session reply without sessionId: {value}"))
        })?;
        Ok(Session {
            agent,
            base: format!("{driver_url}/session/{id}"),
            deleted: false,
        })
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, E2eError> {
        call(
            &self.agent,
            "POST",
            &format!("{}{path}", self.base),
            Some(body),
        )
    }

    fn get(&self, path: &str) -> Result<Value, E2eError> {
        call(&self.agent, "GET", &format!("{}{path}", self.base), None)
    }

    /// The first element matching the CSS `selector`.
    pub fn find(&self, selector: &str) -> Result<Element, E2eError> {
        let value = self.post(
            "/element",
            &json!({"using": "css selector", "value": selector}),
        )?;
        element_from(&value)
    }

    /// Every element matching the CSS `selector` (possibly none).
    pub fn find_all(&self, selector: &str) -> Result<Vec<Element>, E2eError> {
        let value = self.post(
            "/elements",
            &json!({"using": "css selector", "value": selector}),
        )?;
        value
            .as_array()
            .ok_or_else(|| {
                E2eError::Protocol(format!("find elements reply is not a list: {value}"))
            })?
            .iter()
            .map(element_from)
            .collect()
    }

    /// The rendered text of `element`.
    pub fn text(&self, element: &Element) -> Result<String, E2eError> {
        let value = self.get(&format!("/element/{}/text", element.id))?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Polls until an element matches the CSS `selector`.
    pub fn wait_for(&self, selector: &str, timeout: Duration) -> Result<Element, E2eError> {
        wait_until(selector, timeout, || {
            Ok(self.find_all(selector)?.into_iter().next())
        })
    }

    /// The value of `element`'s attribute `name` (`None` when it has none).
    pub fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>, E2eError> {
        let value = self.get(&format!("/element/{}/attribute/{name}", element.id))?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Presses the keys of `chord` in order and releases them in reverse, through the W3C
    /// actions API: the page sees real keydown/keyup events on its focused element.
    /// `press(&["a"])` is A; `press(&[key::SHIFT, key::RIGHT])` is Shift+→.
    pub fn press(&self, chord: &[&str]) -> Result<(), E2eError> {
        let down = chord.iter().map(|k| json!({"type": "keyDown", "value": k}));
        let up = chord
            .iter()
            .rev()
            .map(|k| json!({"type": "keyUp", "value": k}));
        let actions: Vec<Value> = down.chain(up).collect();
        self.post(
            "/actions",
            &json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .map(drop)
    }

    /// Empties a text field.
    pub fn clear(&self, element: &Element) -> Result<(), E2eError> {
        self.post(&format!("/element/{}/clear", element.id), &json!({}))
            .map(drop)
    }

    /// Clicks `element`.
    pub fn click(&self, element: &Element) -> Result<(), E2eError> {
        self.post(&format!("/element/{}/click", element.id), &json!({}))
            .map(drop)
    }

    /// Types `text` into `element`.
    pub fn send_keys(&self, element: &Element, text: &str) -> Result<(), E2eError> {
        // `text` is the W3C field; `value` (one string per character) is what older
        // WebKitWebDriver releases read. Sending both suits either.
        let chars: Vec<String> = text.chars().map(String::from).collect();
        self.post(
            &format!("/element/{}/value", element.id),
            &json!({"text": text, "value": chars}),
        )
        .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value, E2eError> {
        self.post("/execute/sync", &json!({"script": script, "args": args}))
    }

    /// Runs `script` whose last argument is a callback; returns the value it is called with.
    pub fn execute_async(&self, script: &str, args: &[Value]) -> Result<Value, E2eError> {
        self.post("/execute/async", &json!({"script": script, "args": args}))
    }

    /// Calls a Takeboard command through the page's Tauri IPC bridge: `Ok(value)`, or the
    /// command's `IpcError` JSON as the inner `Err`.
    pub fn invoke(&self, command: &str, args: Value) -> Result<Result<Value, Value>, E2eError> {
        let reply = self.execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
               .then(value => done({ ok: value }), error => done({ err: error }));",
            &[command.into(), args],
        )?;
        match (reply.get("ok"), reply.get("err")) {
            (Some(ok), _) => Ok(Ok(ok.clone())),
            (None, Some(err)) => Ok(Err(err.clone())),
            (None, None) => Err(E2eError::Protocol(format!("{command}: no result: {reply}"))),
        }
    }

    /// [`Session::invoke`] for a command that must succeed: its error becomes a protocol
    /// error naming the command.
    pub fn invoke_ok(&self, command: &str, args: Value) -> Result<Value, E2eError> {
        self.invoke(command, args)?
            .map_err(|err| E2eError::Protocol(format!("{command} failed: {err}")))
    }

    /// A PNG screenshot of the window, taken after the page has painted its current DOM
    /// (two animation frames).
    pub fn screenshot_png(&self) -> Result<Vec<u8>, E2eError> {
        self.execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            &[],
        )?;
        let value = self.get("/screenshot")?;
        let encoded = value
            .as_str()
            .ok_or_else(|| E2eError::Protocol("screenshot reply is not a string".to_owned()))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| E2eError::Protocol(format!("screenshot is not base64: {e}")))?;
        if !png.starts_with(b"\x89PNG") {
            return Err(E2eError::Protocol("screenshot is not a PNG".to_owned()));
        }
        Ok(png)
    }

    /// Saves [`Session::screenshot_png`] to `path` (parent folders created).
    pub fn screenshot(&self, path: &Path) -> Result<(), E2eError> {
        let png = self.screenshot_png()?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Ends the session; the driver closes the app.
    pub fn delete(mut self) -> Result<(), E2eError> {
        self.deleted = true;
        call(&self.agent, "DELETE", &self.base, None).map(drop)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.deleted {
            // Best effort on a failing test: the driver fixture kills everything anyway.
            let _ = call(&self.agent, "DELETE", &self.base, None);
        }
    }
}

fn element_from(value: &Value) -> Result<Element, E2eError> {
    value[ELEMENT_KEY]
        .as_str()
        .map(|id| Element { id: id.to_owned() })
        .ok_or_else(|| E2eError::Protocol(format!("not an element reference: {value}")))
}
