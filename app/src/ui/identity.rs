//! Who the person at this browser is, until accounts exist: a name they choose (or a guest
//! name), remembered in the browser's local storage. Browser only; call from effects and
//! event handlers.

use leptos::prelude::window;

const KEY: &str = "waymark.name";
const ANIMALS: [&str; 16] = [
    "Otter", "Heron", "Lynx", "Puffin", "Badger", "Ibis", "Marten", "Wren", "Bison", "Gecko",
    "Koala", "Narwhal", "Okapi", "Panda", "Quokka", "Tapir",
];

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The remembered name, or a new guest name (remembered from now on).
pub fn local_name() -> String {
    if let Some(name) = storage().and_then(|s| s.get_item(KEY).ok().flatten()) {
        if !name.trim().is_empty() {
            return name;
        }
    }
    let pick = uuid::Uuid::new_v4().as_bytes()[0] as usize % ANIMALS.len();
    let name = format!("Guest {}", ANIMALS[pick]);
    remember_name(&name);
    name
}

pub fn remember_name(name: &str) {
    if let Some(storage) = storage() {
        // Private browsing may refuse; the name then lasts for this page only.
        let _refused = storage.set_item(KEY, name);
    }
}
