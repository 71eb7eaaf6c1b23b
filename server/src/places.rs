//! Places held at once, counted per address and in all, each with a cap: how many requests are
//! in flight, how many connections are open. A place is given back when it is dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::lock;
use crate::throttle::network;

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<[u8; 16], usize>,
}

/// Caps on places held at once. Cheap to clone; clones share their counts.
#[derive(Clone)]
pub struct Places {
    most: usize,
    most_per_address: usize,
    counts: Arc<Mutex<Counts>>,
}

/// A place held; given back when dropped.
pub struct Place {
    places: Places,
    address: Option<[u8; 16]>,
}

impl Places {
    pub fn new(most: usize, most_per_address: usize) -> Places {
        Places {
            most,
            most_per_address,
            counts: Arc::default(),
        }
    }

    /// A place for `address` (`None`: counted only in all, as for a trusted proxy carrying
    /// many clients), if neither cap is reached. An IPv6 address counts by its /64 network.
    pub fn take(&self, address: Option<IpAddr>) -> Option<Place> {
        let mut counts = lock(&self.counts);
        if counts.total >= self.most {
            return None;
        }
        let address = address.map(network);
        if let Some(address) = address {
            let held = counts.by_address.entry(address).or_insert(0);
            if *held >= self.most_per_address {
                return None;
            }
            *held += 1;
        }
        counts.total += 1;
        Some(Place {
            places: self.clone(),
            address,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = lock(&self.places.counts);
        counts.total -= 1;
        if let Some(address) = self.address {
            if let Some(held) = counts.by_address.get_mut(&address) {
                *held -= 1;
                if *held == 0 {
                    counts.by_address.remove(&address);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_per_address_and_in_all() {
        let places = Places::new(5, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<Place> = (0..2).map(|_| places.take(Some(a)).unwrap()).collect();
        assert!(places.take(Some(a)).is_none());
        let b = places.take(Some("192.0.2.2".parse().unwrap())).unwrap();
        let proxied: Vec<Place> = (0..2).map(|_| places.take(None).unwrap()).collect();
        assert!(places.take(None).is_none(), "five in all");
        drop((held, b, proxied));
        assert_eq!(lock(&places.counts).total, 0);
        assert!(places.take(Some(a)).is_some());
        assert!(lock(&places.counts).by_address.is_empty());
    }
}
