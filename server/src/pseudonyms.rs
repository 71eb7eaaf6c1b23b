//! Customer references as pseudonyms: a keyed hash (HMAC-SHA256) of the map and the reference,
//! under a key made once per instance and kept in the data directory beside the database, never
//! in it. A copy of the database alone then reveals nobody, and whoever holds one cannot test a
//! guessed reference (an email, a CRM id) against it. The map is hashed in too, so the same
//! customer on two maps cannot be linked. Back the key up with the database: without it, a
//! restored database cannot match references to their events (to delete one customer's, say).

use std::io::{self, Read, Write};
use std::path::Path;

use app::domain::ids::MapId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const KEY_FILE: &str = "pseudonym.key";

pub struct Pseudonyms {
    key: [u8; 32],
}

impl Pseudonyms {
    /// The instance's key from `dir`, made there (readable by its owner only) the first time.
    pub fn open(dir: &Path) -> io::Result<Pseudonyms> {
        let path = dir.join(KEY_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(io::Error::other)?;
                file.write_all(&key)?;
                file.sync_all()?;
                Ok(Pseudonyms { key })
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                let mut key = [0u8; 32];
                let mut file = std::fs::File::open(&path)?;
                file.read_exact(&mut key).map_err(|e| {
                    io::Error::new(e.kind(), format!("{} is not a key: {e}", path.display()))
                })?;
                Ok(Pseudonyms { key })
            }
            Err(err) => Err(err),
        }
    }

    /// A key for `purpose` (signing unsubscribe links, say), derived from the instance's key so
    /// that one purpose's signatures mean nothing to another.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(b"waymark derived key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The customer's pseudonym on `map`: 64 bits of the keyed hash, so one in about 10^13
    /// pairs of a million customers' references share one.
    pub fn customer(&self, map: MapId, reference: &str) -> i64 {
        // The key is 32 bytes; HMAC takes keys of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(map.as_uuid().as_bytes());
        mac.update(reference.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_key_is_made_once_and_pseudonyms_depend_on_it_and_the_map() {
        let dir = tempfile::tempdir().unwrap();
        let (one, two) = (
            MapId::from_uuid(Uuid::from_u128(1)),
            MapId::from_uuid(Uuid::from_u128(2)),
        );
        let first = Pseudonyms::open(dir.path()).unwrap();
        let again = Pseudonyms::open(dir.path()).unwrap();
        assert_eq!(first.customer(one, "ann"), again.customer(one, "ann"));
        assert_ne!(first.customer(one, "ann"), first.customer(one, "bob"));
        assert_ne!(first.customer(one, "ann"), first.customer(two, "ann"));
        let elsewhere = tempfile::tempdir().unwrap();
        let other = Pseudonyms::open(elsewhere.path()).unwrap();
        assert_ne!(first.customer(one, "ann"), other.customer(one, "ann"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "nobody else may read the key");
        }
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        assert!(Pseudonyms::open(dir.path()).is_err());
    }
}
