//! The saved API key: in the user's config dir, owner-only whatever was there before,
//! never through a symlink, removable.

use std::os::unix::fs::PermissionsExt;
use takeboard_core::render::key::KeyStore;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_key_file_pre_created_world_readable_is_owner_only_after_a_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::at(dir.path().join("takeboard"));
    std::fs::create_dir_all(dir.path().join("takeboard")).unwrap();
    std::fs::write(store.path(), "old").unwrap();
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    store.save_key("  luma-secret\n").unwrap();
    assert_eq!(mode(&store.path()), 0o600);
    assert_eq!(store.saved_key().as_deref(), Some("luma-secret"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("takeboard"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        [std::ffi::OsString::from("luma-api-key")],
        "no temp file left"
    );
}

#[test]
fn a_symlink_at_the_key_path_is_neither_read_nor_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::at(dir.path().join("takeboard"));
    std::fs::create_dir_all(dir.path().join("takeboard")).unwrap();
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "someone else's file").unwrap();
    std::os::unix::fs::symlink(&target, store.path()).unwrap();
    assert_eq!(store.saved_key(), None, "a link is not read");
    store.save_key("luma-secret").unwrap();
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "someone else's file"
    );
    assert!(!std::fs::symlink_metadata(store.path())
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(mode(&store.path()), 0o600);
}

#[test]
fn a_new_config_folder_is_owner_only_and_a_removed_key_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::at(dir.path().join("config/takeboard"));
    store.save_key("luma-secret").unwrap();
    assert_eq!(mode(&dir.path().join("config/takeboard")), 0o700);
    store.save_key("").unwrap();
    assert!(!store.path().exists());
    assert_eq!(store.saved_key(), None);
    store.remove_key().expect("removing nothing is fine");
}
