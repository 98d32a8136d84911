//! The IPC contract's command list, checked against every place that names it: the invoke
//! handler, the window's capability, the UI's wrappers and the contract page. The list is
//! read from `commands.rs` by `build.rs` ([`COMMAND_NAMES`]).

include!(concat!(env!("OUT_DIR"), "/command_names.rs"));

#[cfg(test)]
mod tests {
    use super::COMMAND_NAMES;

    fn sorted(mut names: Vec<String>) -> Vec<String> {
        names.sort();
        names
    }

    fn expected() -> Vec<String> {
        sorted(COMMAND_NAMES.iter().map(|n| (*n).to_owned()).collect())
    }

    /// The part of `text` after `start` and before the next `end`.
    fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let rest = text.split_once(start).map(|(_, rest)| rest);
        rest.and_then(|rest| rest.split(end).next())
            .unwrap_or_else(|| panic!("no {start:?} … {end:?} in the file"))
    }

    /// The quoted words right after each `marker` in `text`.
    fn quoted_after(text: &str, marker: &str) -> Vec<String> {
        text.split(marker)
            .skip(1)
            .filter_map(|rest| rest.split(['\'', '"']).next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_invoke_handler_registers_every_command_and_nothing_else() {
        let lib = include_str!("lib.rs");
        let handler = between(lib, "generate_handler![", "]");
        let registered: Vec<String> = handler
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.trim_start_matches("commands::").to_owned())
            .collect();
        assert_eq!(
            registered, COMMAND_NAMES,
            "lib.rs and commands.rs, in order"
        );
    }

    #[test]
    fn the_window_capability_grants_exactly_the_commands() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(sorted(granted), expected(), "capabilities/main.json");
    }

    #[test]
    fn the_ui_wraps_exactly_the_commands() {
        let wrapped = quoted_after(include_str!("../../ui/src/lib/ipc.ts"), ">('");
        assert_eq!(
            sorted(wrapped),
            expected(),
            "ui/src/lib/ipc.ts call<…>('name')"
        );
    }

    #[test]
    fn the_contract_page_lists_exactly_the_commands() {
        let page = include_str!("../../docs/ipc.md");
        let table = between(page, "| command | args | returns |", "\n\n");
        let rows: Vec<String> = table
            .lines()
            .filter_map(|line| line.strip_prefix("| "))
            .filter_map(|row| row.split(" |").next())
            .filter(|name| !name.is_empty() && *name != "command" && !name.starts_with('-'))
            .map(str::to_owned)
            .collect();
        assert_eq!(sorted(rows), expected(), "docs/ipc.md command table");
    }

    #[test]
    fn every_command_is_at_most_five_lines() {
        let source = include_str!("commands.rs");
        for block in source.split("\n#[tauri::command").skip(1) {
            let name = block
                .split("pub fn ")
                .nth(1)
                .and_then(|rest| rest.split(['<', '(']).next())
                .unwrap_or("?");
            let body_start = block.find(" {\n").expect("a command has a body") + 3;
            let body = &block[body_start..];
            let body_end = body.find("\n}\n").unwrap_or(body.len());
            let lines = body[..body_end]
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count();
            assert!(
                lines <= 5,
                "{name} has {lines} lines; move the logic into api"
            );
        }
    }
}
