//! The time loop allocates nothing: a counting global allocator watches `advance_to` of every
//! scheme (after construction, which allocates every buffer once).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use basintwin_core::{
    Backend, Boundaries, BoundaryKind, Forcing, Manning, RainGrid, Scheme, Series, State, Terrain,
};
use basintwin_engine_tests::backend;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn time_loop_does_not_allocate() {
    let grid = basintwin_core::Grid::new(64, 48, 1.0, 1.0).unwrap_or_else(|e| panic!("{e}"));
    let bed = grid.map_centres(|x, y| 0.01 * x + 0.2 * (y / 5.0).sin());
    let active: Vec<bool> = (0..grid.cells()).map(|k| k % 97 != 0).collect();
    let terrain = Terrain::with_mask(&grid, bed, active, Manning::Uniform(0.03))
        .unwrap_or_else(|e| panic!("{e}"));
    let depth = grid.map_centres(|x, _| if x < 20.0 { 1.0 } else { 0.0 });
    let mut bc = Boundaries::walls();
    bc.east = BoundaryKind::Free;
    // Rain, uniform and gridded, as well (its pass keeps a per-cell carry).
    let cells = grid.cells();
    let rain_grid = RainGrid::new(
        vec![0.0, 5.0],
        vec![
            vec![20.0; cells],
            (0..cells).map(|k| (k % 7) as f32).collect(),
        ],
        cells,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for scheme in Scheme::ALL {
        for (threads, rain) in [(1, false), (2, false), (1, true), (2, true)] {
            // rayon's runtime (its work-stealing deques and epoch collector) allocates now and
            // then when a thread is descheduled; an allocation of the time loop itself happens
            // on every run. So a configuration passes when one of a few runs allocates nothing.
            let mut seen = Vec::new();
            for _ in 0..5 {
                let mut b = backend(
                    &grid,
                    &terrain,
                    State::<f32>::from_depth(&depth),
                    scheme,
                    bc,
                    Some(threads),
                );
                if rain {
                    b.set_forcing(Forcing {
                        rain_mm_h: Some(Series::constant(30.0)),
                        rain_grid: Some(rain_grid.clone()),
                        ..Forcing::default()
                    })
                    .unwrap_or_else(|e| panic!("{e}"));
                }
                assert!(
                    ALLOCATIONS.load(Ordering::Relaxed) > 0,
                    "the counter counts"
                );
                // Warm up: rayon's workers start and register on first use.
                b.advance_to(0.5).unwrap_or_else(|e| panic!("{e}"));
                let before = ALLOCATIONS.load(Ordering::Relaxed);
                let steps = b.steps();
                b.advance_to(10.0).unwrap_or_else(|e| panic!("{e}"));
                let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
                assert!(b.steps() > steps + 20, "{scheme}: too few steps to tell");
                seen.push(allocated);
                if allocated == 0 {
                    break;
                }
            }
            assert_eq!(
                seen.iter().min(),
                Some(&0),
                "{scheme}, {threads} threads, rain {rain}: allocations in the time loop in every run: {seen:?}"
            );
        }
    }
}
