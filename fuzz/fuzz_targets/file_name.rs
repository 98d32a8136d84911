//! File-name identification on arbitrary names: shot codes, model words, take numbers,
//! Luma web-download slugs and grouping keys never panic, and a shot code is upper case.
#![no_main]

use libfuzzer_sys::fuzz_target;
use takeboard_core::identify::{is_ignored_name, normalize_prompt, shot_name_from_prompt, NamingConfig};

fuzz_target!(|name: &str| {
    let names = NamingConfig::default().compile().expect("the default pattern compiles");
    let info = names.parse(name);
    if let Some(code) = &info.shot_code {
        assert!(!code.is_empty() && *code == code.to_uppercase(), "{code:?}");
    }
    let _ = is_ignored_name(std::ffi::OsStr::new(name));
    let key = normalize_prompt(name);
    assert_eq!(normalize_prompt(&key), key, "normalizing is idempotent");
    let _ = shot_name_from_prompt(name);
});
