//! Triangle meshes of gridded surfaces (terrain, water) over a rectangle of cells at a stride:
//! one vertex per sampled cell centre, two triangles per quad whose corners pass a test,
//! normals from the sampled heights, optional skirts hiding the cracks between neighbouring
//! chunks drawn at different levels of detail.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, Mesh, PrimitiveTopology};

/// Where world coordinates come from: cell centres of the run's grid, centred on the domain.
/// World axes: x east, y up (metres above the lowest bed), z south (bevy's right-handed frame
/// seen from the south).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geo {
    pub nx: usize,
    pub ny: usize,
    pub dx: f64,
    pub dy: f64,
    /// Centre of cell (0, 0).
    pub x0: f64,
    pub y0: f64,
    /// World origin: domain centre and lowest bed.
    pub xc: f64,
    pub yc: f64,
    pub zc: f32,
}

impl Geo {
    pub fn world(&self, x: f64, y: f64, z: f32) -> [f32; 3] {
        [(x - self.xc) as f32, z - self.zc, -(y - self.yc) as f32]
    }

    pub fn cell_world(&self, i: usize, j: usize, z: f32) -> [f32; 3] {
        self.world(
            self.x0 + i as f64 * self.dx,
            self.y0 + j as f64 * self.dy,
            z,
        )
    }

    /// Back from world x, z to map coordinates.
    pub fn map(&self, wx: f32, wz: f32) -> (f64, f64) {
        (f64::from(wx) + self.xc, self.yc - f64::from(wz))
    }

    /// Width and depth of the domain (m).
    pub fn extent(&self) -> (f64, f64) {
        (
            (self.nx as f64 - 1.0) * self.dx.abs(),
            (self.ny as f64 - 1.0) * self.dy.abs(),
        )
    }
}

/// A rectangle of cells (vertex indices, inclusive) sampled every `stride` cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Patch {
    pub i0: usize,
    pub j0: usize,
    pub i1: usize,
    pub j1: usize,
    pub stride: usize,
}

impl Patch {
    /// The sampled columns (or rows) from `a` to `b` inclusive.
    fn samples(a: usize, b: usize, stride: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (a..=b).step_by(stride.max(1)).collect();
        if v.last() != Some(&b) {
            v.push(b);
        }
        v
    }
}

/// Vertex data before it becomes a bevy mesh (tests read it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
}

impl MeshData {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    pub fn into_mesh(self) -> Mesh {
        Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::RENDER_WORLD,
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, self.normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, self.colors)
        .with_inserted_indices(Indices::U32(self.indices))
    }
}

/// A gridded surface over `patch`: `height(i, j)` (None: no vertex), `color(i, j)`, and
/// `keep(corners)` choosing the quads drawn from their four corners' cells. With `skirt`,
/// the patch's border is extended downwards by that many metres.
pub fn surface(
    geo: &Geo,
    patch: Patch,
    height: &dyn Fn(usize, usize) -> Option<f32>,
    color: &dyn Fn(usize, usize) -> [f32; 4],
    keep: &dyn Fn([(usize, usize); 4]) -> bool,
    skirt: Option<f32>,
) -> MeshData {
    let is = Patch::samples(patch.i0, patch.i1, patch.stride);
    let js = Patch::samples(patch.j0, patch.j1, patch.stride);
    let (ni, nj) = (is.len(), js.len());
    let mut m = MeshData::default();
    let mut index = vec![u32::MAX; ni * nj];
    let hs: Vec<Option<f32>> = js
        .iter()
        .flat_map(|&j| is.iter().map(move |&i| (i, j)))
        .map(|(i, j)| height(i, j))
        .collect();
    for (b, &j) in js.iter().enumerate() {
        for (a, &i) in is.iter().enumerate() {
            let Some(h) = hs[b * ni + a] else { continue };
            // Normal from the neighbouring samples (one-sided at the patch's edge).
            let at = |a: usize, b: usize| hs[b * ni + a].unwrap_or(h);
            let (al, ar) = (a.saturating_sub(1), (a + 1).min(ni - 1));
            let (bl, br) = (b.saturating_sub(1), (b + 1).min(nj - 1));
            let dzdx = if ar > al {
                (at(ar, b) - at(al, b)) / ((is[ar] - is[al]) as f64 * geo.dx) as f32
            } else {
                0.0
            };
            let dzdy = if br > bl {
                (at(a, br) - at(a, bl)) / ((js[br] - js[bl]) as f64 * geo.dy) as f32
            } else {
                0.0
            };
            // World: x east, y up, z south: n = (-dz/dx, 1, +dz/dy) normalised.
            let n = [-dzdx, 1.0, dzdy];
            let len = (n[0] * n[0] + 1.0 + n[2] * n[2]).sqrt();
            index[b * ni + a] = m.positions.len() as u32;
            m.positions.push(geo.cell_world(i, j, h));
            m.normals.push([n[0] / len, n[1] / len, n[2] / len]);
            m.colors.push(color(i, j));
        }
    }
    for b in 0..nj.saturating_sub(1) {
        for a in 0..ni.saturating_sub(1) {
            let v = [
                index[b * ni + a],
                index[b * ni + a + 1],
                index[(b + 1) * ni + a + 1],
                index[(b + 1) * ni + a],
            ];
            if v.contains(&u32::MAX)
                || !keep([
                    (is[a], js[b]),
                    (is[a + 1], js[b]),
                    (is[a + 1], js[b + 1]),
                    (is[a], js[b + 1]),
                ])
            {
                continue;
            }
            // Counter-clockwise seen from above (y up; north is -z).
            m.indices
                .extend_from_slice(&[v[0], v[1], v[2], v[0], v[2], v[3]]);
        }
    }
    if let Some(depth) = skirt {
        let mut border: Vec<Vec<(usize, usize)>> = vec![
            (0..ni).map(|a| (a, 0)).collect(),
            (0..nj).map(|b| (ni - 1, b)).collect(),
            (0..ni).rev().map(|a| (a, nj - 1)).collect(),
            (0..nj).rev().map(|b| (0, b)).collect(),
        ];
        for side in border.drain(..) {
            for w in side.windows(2) {
                let (p, q) = (index[w[0].1 * ni + w[0].0], index[w[1].1 * ni + w[1].0]);
                if p == u32::MAX || q == u32::MAX {
                    continue;
                }
                let base = m.positions.len() as u32;
                for v in [p, q] {
                    let mut pos = m.positions[v as usize];
                    pos[1] -= depth;
                    m.positions.push(pos);
                    m.normals.push(m.normals[v as usize]);
                    m.colors.push(m.colors[v as usize]);
                }
                m.indices
                    .extend_from_slice(&[p, q, base + 1, p, base + 1, base]);
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(nx: usize, ny: usize) -> Geo {
        Geo {
            nx,
            ny,
            dx: 10.0,
            dy: 10.0,
            x0: 5.0,
            y0: 5.0,
            xc: 50.0,
            yc: 50.0,
            zc: 0.0,
        }
    }

    #[test]
    fn a_plane_has_upward_normals_and_two_triangles_per_quad() {
        let g = geo(9, 9);
        let p = Patch {
            i0: 0,
            j0: 0,
            i1: 8,
            j1: 8,
            stride: 2,
        };
        let m = surface(&g, p, &|_, _| Some(3.0), &|_, _| [1.0; 4], &|_| true, None);
        assert_eq!(m.positions.len(), 25);
        assert_eq!(m.indices.len(), 16 * 6);
        assert!(m.normals.iter().all(|n| *n == [0.0, 1.0, 0.0]));
        // Cell (0, 0) is south-west: west (-x) and south (+z) in the world.
        assert_eq!(m.positions[0], [-45.0, 3.0, 45.0]);
        // Triangles face up: (b - a) x (c - a) has a positive y.
        let [a, b, c] = [0, 1, 2].map(|k| m.positions[m.indices[k] as usize]);
        let (u, v) = ([b[0] - a[0], b[2] - a[2]], [c[0] - a[0], c[2] - a[2]]);
        assert!(u[1] * v[0] - u[0] * v[1] > 0.0);
    }

    #[test]
    fn a_slope_rising_east_tilts_normals_west_and_the_last_column_is_kept() {
        let g = geo(10, 4);
        let p = Patch {
            i0: 0,
            j0: 0,
            i1: 9,
            j1: 3,
            stride: 4,
        };
        let m = surface(
            &g,
            p,
            &|i, _| Some(i as f32),
            &|_, _| [1.0; 4],
            &|_| true,
            None,
        );
        // Columns 0, 4, 8, 9; rows 0, 3.
        assert_eq!(m.positions.len(), 4 * 2);
        assert!(m.normals.iter().all(|n| n[0] < 0.0 && n[2].abs() < 1e-6));
        assert!((m.positions[3][0] - 45.0).abs() < 1e-6);
    }

    #[test]
    fn quads_with_missing_corners_or_rejected_are_dropped_and_skirts_hang_down() {
        let g = geo(3, 3);
        let p = Patch {
            i0: 0,
            j0: 0,
            i1: 2,
            j1: 2,
            stride: 1,
        };
        let m = surface(
            &g,
            p,
            &|i, j| (i + j > 0).then_some(1.0),
            &|_, _| [1.0; 4],
            &|c| c.iter().any(|&(i, _)| i == 2),
            None,
        );
        // Of four quads, the two in column 1..2 pass the test and have all corners.
        assert_eq!(m.indices.len(), 2 * 6);
        let s = surface(
            &g,
            p,
            &|_, _| Some(1.0),
            &|_, _| [1.0; 4],
            &|_| true,
            Some(0.5),
        );
        // 4 quads + 8 border segments, each skirt segment two triangles and two vertices.
        assert_eq!(s.indices.len(), (4 + 8) * 6);
        assert_eq!(s.positions.len(), 9 + 16);
        assert!(s.positions[9..].iter().all(|p| p[1] == 0.5));
    }
}
