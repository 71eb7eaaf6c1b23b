//! The geometry of the path flows' Sankey-style view: touchpoints in two columns, where
//! customers moved from on the left and where they went next on the right, and one band per
//! move between them, as thick as its count. Plain arithmetic, so it is tested without a
//! browser; `flows` draws it.

/// Customers' moves from node `from` to node `to` (indexes into the caller's list of nodes,
/// whose order the columns keep).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flow {
    pub from: usize,
    pub to: usize,
    pub count: u64,
}

/// A node's place in its column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slot {
    pub node: usize,
    pub top: f64,
    pub height: f64,
}

impl Slot {
    pub fn middle(&self) -> f64 {
        self.top + self.height / 2.0
    }
}

/// A flow's band: where its middle leaves the left column and enters the right one, and how
/// thick it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub flow: Flow,
    pub from_y: f64,
    pub to_y: f64,
    pub width: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// Nodes that customers left, in node order.
    pub sources: Vec<Slot>,
    /// Nodes that customers went on to, in node order.
    pub targets: Vec<Slot>,
    pub bands: Vec<Band>,
    pub height: f64,
}

/// Space between two nodes of a column.
pub const GAP: f64 = 8.0;
/// Height the drawing gives each node of its longer column: room for a label.
const ROW: f64 = 28.0;
/// The smallest drawing, so that one or two flows are not a sliver.
const MIN_HEIGHT: f64 = 64.0;

/// Lays `flows` out. Both columns hold every move once, so one scale (units of height per
/// move) fits both; it is set by the column with more nodes, which has more gaps.
pub fn layout(flows: &[Flow]) -> Layout {
    let flows: Vec<Flow> = flows.iter().copied().filter(|f| f.count > 0).collect();
    let total: u64 = flows.iter().map(|f| f.count).sum();
    if total == 0 {
        return Layout::default();
    }
    let outflows = totals(&flows, |f| f.from);
    let inflows = totals(&flows, |f| f.to);
    let rows = outflows.len().max(inflows.len());
    let height = (ROW * rows as f64).max(MIN_HEIGHT);
    let scale = (height - GAP * (rows - 1) as f64) / total as f64;
    let sources = stack(&outflows, scale);
    let targets = stack(&inflows, scale);

    // Within a node, bands are stacked in the order of the node at their other end, so that
    // bands between nodes in map order cross as little as they can.
    let mut by_source: Vec<usize> = (0..flows.len()).collect();
    by_source.sort_by_key(|&i| (flows[i].from, flows[i].to));
    let from_y = positions(&flows, &by_source, &sources, |f| f.from, scale);
    let mut by_target: Vec<usize> = (0..flows.len()).collect();
    by_target.sort_by_key(|&i| (flows[i].to, flows[i].from));
    let to_y = positions(&flows, &by_target, &targets, |f| f.to, scale);

    let bands = flows
        .iter()
        .enumerate()
        .map(|(i, &flow)| Band {
            flow,
            from_y: from_y[i],
            to_y: to_y[i],
            width: flow.count as f64 * scale,
        })
        .collect();
    Layout {
        sources,
        targets,
        bands,
        height,
    }
}

/// Each node's moves (on the side `end` picks), in node order.
fn totals(flows: &[Flow], end: impl Fn(&Flow) -> usize) -> Vec<(usize, u64)> {
    let mut totals: Vec<(usize, u64)> = Vec::new();
    for flow in flows {
        let node = end(flow);
        match totals.binary_search_by_key(&node, |(n, _)| *n) {
            Ok(at) => totals[at].1 += flow.count,
            Err(at) => totals.insert(at, (node, flow.count)),
        }
    }
    totals
}

/// The nodes one above the other, each as tall as its moves, `GAP` apart.
fn stack(totals: &[(usize, u64)], scale: f64) -> Vec<Slot> {
    let mut top = 0.0;
    totals
        .iter()
        .map(|&(node, count)| {
            let slot = Slot {
                node,
                top,
                height: count as f64 * scale,
            };
            top += slot.height + GAP;
            slot
        })
        .collect()
}

/// The middle of each flow's band at the nodes `end` picks, the bands stacked in `order`
/// from the top of their node down.
fn positions(
    flows: &[Flow],
    order: &[usize],
    slots: &[Slot],
    end: impl Fn(&Flow) -> usize,
    scale: f64,
) -> Vec<f64> {
    let mut filled: Vec<f64> = slots.iter().map(|s| s.top).collect();
    let mut middles = vec![0.0; flows.len()];
    for &i in order {
        let node = end(&flows[i]);
        let Some(at) = slots.iter().position(|s| s.node == node) else {
            continue;
        };
        let width = flows[i].count as f64 * scale;
        middles[i] = filled[at] + width / 2.0;
        filled[at] += width;
    }
    middles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(from: usize, to: usize, count: u64) -> Flow {
        Flow { from, to, count }
    }

    #[track_caller]
    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    /// The bands leaving (or entering) a slot, by their edges, top first.
    fn edges(layout: &Layout, slot: &Slot, leaving: bool) -> Vec<(f64, f64)> {
        let mut edges: Vec<(f64, f64)> = layout
            .bands
            .iter()
            .filter(|b| slot.node == if leaving { b.flow.from } else { b.flow.to })
            .map(|b| {
                let middle = if leaving { b.from_y } else { b.to_y };
                (middle - b.width / 2.0, middle + b.width / 2.0)
            })
            .collect();
        edges.sort_by(|a, b| a.0.total_cmp(&b.0));
        edges
    }

    #[test]
    fn nothing_to_draw_without_moves() {
        assert_eq!(layout(&[]), Layout::default());
        assert_eq!(layout(&[flow(0, 1, 0)]), Layout::default());
    }

    #[test]
    fn bands_fill_their_nodes_exactly_without_overlapping() {
        // 0 → 1 (30), 0 → 2 (10), 1 → 2 (20), 3 → 0 (5).
        let flows = [
            flow(0, 1, 30),
            flow(0, 2, 10),
            flow(1, 2, 20),
            flow(3, 0, 5),
        ];
        let layout = layout(&flows);
        let nodes = |slots: &[Slot]| slots.iter().map(|s| s.node).collect::<Vec<_>>();
        assert_eq!(nodes(&layout.sources), [0, 1, 3]);
        assert_eq!(nodes(&layout.targets), [0, 1, 2]);
        for (slots, leaving) in [(&layout.sources, true), (&layout.targets, false)] {
            for pair in slots.windows(2) {
                close(pair[1].top, pair[0].top + pair[0].height + GAP);
            }
            let last = slots.last().unwrap();
            assert!(last.top + last.height <= layout.height + 1e-9);
            for slot in slots.iter() {
                let edges = edges(&layout, slot, leaving);
                close(edges[0].0, slot.top);
                for pair in edges.windows(2) {
                    close(pair[1].0, pair[0].1);
                }
                close(edges.last().unwrap().1, slot.top + slot.height);
            }
        }
    }

    #[test]
    fn a_band_is_as_thick_as_its_count_and_stacked_by_the_other_end() {
        let layout = layout(&[flow(0, 2, 10), flow(0, 1, 30), flow(1, 2, 20)]);
        let band = |from, to| {
            *layout
                .bands
                .iter()
                .find(|b| b.flow.from == from && b.flow.to == to)
                .unwrap()
        };
        close(band(0, 1).width, 3.0 * band(0, 2).width);
        close(band(1, 2).width, 2.0 * band(0, 2).width);
        // Node 0's band to node 1 leaves above its band to node 2; node 2 takes node 0's band
        // above node 1's.
        assert!(band(0, 1).from_y < band(0, 2).from_y);
        assert!(band(0, 2).to_y < band(1, 2).to_y);
        // The longer column (two nodes each here) sets the scale: it fills the drawing.
        let used: f64 = layout.sources.iter().map(|s| s.height).sum::<f64>() + GAP;
        close(used, layout.height);
    }
}
