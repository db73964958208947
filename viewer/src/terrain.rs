//! The terrain: the DEM as lit 3D chunks coloured by elevation with a baked hillshade, each
//! chunk drawn at a level of detail chosen by its distance to the camera (strides 1, 2, 4, 8
//! times a base stride that keeps the finest level within a few million vertices), with skirts
//! hiding the cracks between levels. Meshes are built when first needed and kept.

use std::collections::HashMap;

use bevy::prelude::*;

use crate::colormap::{hillshade, linear, terrain_srgb};
use crate::data::RunData;
use crate::mesh::{Patch, surface};
use crate::timeline::ViewerSet;
use crate::{Basin, ViewSettings};

/// Cells along a chunk's side (vertex span).
pub const CHUNK: usize = 128;
/// Levels of detail: stride = base << level.
pub const LEVELS: u8 = 4;
/// The finest level holds at most this many vertices over the whole DEM.
const MAX_VERTICES: usize = 4_200_000;

/// How the DEM is cut into chunks, and each chunk's current level.
#[derive(Debug, Clone, Resource)]
pub struct Chunks {
    pub cx: usize,
    pub cy: usize,
    pub base_stride: usize,
    pub levels: Vec<u8>,
}

impl Chunks {
    pub fn new(nx: usize, ny: usize) -> Self {
        let mut base = 1;
        while (nx / base + 1) * (ny / base + 1) > MAX_VERTICES && base < CHUNK / 8 {
            base *= 2;
        }
        let (cx, cy) = ((nx - 1).div_ceil(CHUNK), (ny - 1).div_ceil(CHUNK));
        Self {
            cx,
            cy,
            base_stride: base,
            levels: vec![0; cx * cy],
        }
    }

    pub fn patch(&self, nx: usize, ny: usize, ci: usize, cj: usize, level: u8) -> Patch {
        Patch {
            i0: ci * CHUNK,
            j0: cj * CHUNK,
            i1: ((ci + 1) * CHUNK).min(nx - 1),
            j1: ((cj + 1) * CHUNK).min(ny - 1),
            stride: self.base_stride << level,
        }
    }
}

/// One terrain chunk.
#[derive(Debug, Component)]
pub struct TerrainChunk {
    pub ci: usize,
    pub cj: usize,
    /// Centre in world coordinates before the vertical exaggeration.
    pub centre: Vec3,
    pub size: f32,
}

#[derive(Debug, Resource, Default)]
struct TerrainMeshes(HashMap<(usize, usize, u8), Handle<Mesh>>);

/// Hillshade and elevation colour per cell, computed once.
#[derive(Debug, Resource)]
struct TerrainColors(Vec<[f32; 4]>);

#[derive(Debug)]
pub struct TerrainPlugin;

impl Plugin for TerrainPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TerrainMeshes>()
            .add_systems(Startup, spawn_terrain)
            .add_systems(Update, choose_levels.in_set(ViewerSet::Scene));
    }
}

/// Elevation colours with hillshade (computed at the vertical exaggeration 1).
fn terrain_colors(run: &RunData) -> Vec<[f32; 4]> {
    let (nx, ny) = (run.nx, run.ny);
    let (lo, hi) = run.z_range();
    let span = (hi - lo).max(1e-3);
    let z = &run.z;
    let at = |i: usize, j: usize, c: f32| {
        let v = z[j * nx + i];
        if v.is_finite() { v } else { c }
    };
    (0..nx * ny)
        .map(|k| {
            let (i, j) = (k % nx, k / nx);
            let c = z[k];
            if !c.is_finite() {
                return [0.0; 4];
            }
            let (il, ir) = (i.saturating_sub(1), (i + 1).min(nx - 1));
            let (jl, jr) = (j.saturating_sub(1), (j + 1).min(ny - 1));
            let dzdx = (at(ir, j, c) - at(il, j, c)) / ((ir - il).max(1) as f64 * run.dx) as f32;
            let dzdy = (at(i, jr, c) - at(i, jl, c)) / ((jr - jl).max(1) as f64 * run.dy) as f32;
            linear(terrain_srgb((c - lo) / span, hillshade(dzdx, dzdy)), 1.0)
        })
        .collect()
}

fn build_chunk(run: &RunData, basin: &Basin, colors: &[[f32; 4]], patch: Patch) -> Mesh {
    let nx = run.nx;
    let z = &run.z;
    let height = |i: usize, j: usize| {
        let v = z[j * nx + i];
        v.is_finite().then_some(v)
    };
    let color = |i: usize, j: usize| colors[j * nx + i];
    // Skirts a few cells deep at this level's spacing.
    let skirt = (patch.stride as f64 * run.dx.abs().max(run.dy.abs()) * 0.5) as f32;
    surface(
        &basin.geo,
        patch,
        &height,
        &color,
        &|_| true,
        Some(skirt.max(0.5)),
    )
    .into_mesh()
}

fn spawn_terrain(
    mut commands: Commands,
    run: Res<RunData>,
    basin: Res<Basin>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut cache: ResMut<TerrainMeshes>,
) {
    let colors = terrain_colors(&run);
    let chunks = Chunks::new(run.nx, run.ny);
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        perceptual_roughness: 0.95,
        reflectance: 0.1,
        double_sided: true,
        cull_mode: None,
        ..default()
    });
    let (lo, _) = run.z_range();
    for cj in 0..chunks.cy {
        for ci in 0..chunks.cx {
            let p = chunks.patch(run.nx, run.ny, ci, cj, 0);
            let a = basin.geo.cell_world(p.i0, p.j0, lo);
            let b = basin.geo.cell_world(p.i1, p.j1, lo);
            let coarsest = LEVELS - 1;
            let mesh = meshes.add(build_chunk(
                &run,
                &basin,
                &colors,
                chunks.patch(run.nx, run.ny, ci, cj, coarsest),
            ));
            cache.0.insert((ci, cj, coarsest), mesh.clone());
            let chunk = commands
                .spawn((
                    TerrainChunk {
                        ci,
                        cj,
                        centre: Vec3::new((a[0] + b[0]) / 2.0, 0.0, (a[2] + b[2]) / 2.0),
                        size: (b[0] - a[0]).abs().max((b[2] - a[2]).abs()),
                    },
                    Mesh3d(mesh),
                    MeshMaterial3d(material.clone()),
                    Transform::default(),
                ))
                .id();
            commands.entity(basin.root).add_child(chunk);
        }
    }
    let mut chunks = chunks;
    chunks.levels.fill(LEVELS - 1);
    commands.insert_resource(chunks);
    commands.insert_resource(TerrainColors(colors));
}

/// The level of a chunk `distance` metres from the camera: finest within a few chunk sizes.
pub fn level_for(distance: f32, size: f32) -> u8 {
    let r = distance / (2.5 * size.max(1.0));
    if r <= 1.0 {
        0
    } else {
        (r.log2().floor() as u8 + 1).min(LEVELS - 1)
    }
}

#[allow(clippy::too_many_arguments)]
fn choose_levels(
    run: Res<RunData>,
    basin: Res<Basin>,
    settings: Res<ViewSettings>,
    colors: Res<TerrainColors>,
    mut chunks: ResMut<Chunks>,
    mut cache: ResMut<TerrainMeshes>,
    mut meshes: ResMut<Assets<Mesh>>,
    camera: Query<&GlobalTransform, With<Camera3d>>,
    mut query: Query<(&TerrainChunk, &mut Mesh3d)>,
) {
    let Some(cam) = camera.iter().next().map(GlobalTransform::translation) else {
        return;
    };
    let exaggeration = settings.exaggeration;
    let (lo, hi) = run.z_range();
    let mid = (lo + hi) / 2.0 - basin.geo.zc;
    for (chunk, mut mesh3d) in &mut query {
        let c = Vec3::new(chunk.centre.x, mid * exaggeration, chunk.centre.z);
        let level = level_for(cam.distance(c), chunk.size);
        let k = chunk.cj * chunks.cx + chunk.ci;
        if chunks.levels[k] == level {
            continue;
        }
        let handle = cache
            .0
            .entry((chunk.ci, chunk.cj, level))
            .or_insert_with(|| {
                let p = chunks.patch(run.nx, run.ny, chunk.ci, chunk.cj, level);
                meshes.add(build_chunk(&run, &basin, &colors.0, p))
            })
            .clone();
        mesh3d.0 = handle;
        chunks.levels[k] = level;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_stride_keeps_the_finest_level_within_budget() {
        assert_eq!(Chunks::new(400, 150).base_stride, 1);
        assert_eq!(Chunks::new(2048, 2048).base_stride, 1);
        let c = Chunks::new(4096, 4096);
        assert_eq!(c.base_stride, 2);
        assert_eq!((c.cx, c.cy), (32, 32));
        let p = c.patch(4096, 4096, 31, 31, 3);
        assert_eq!((p.i1, p.j1, p.stride), (4095, 4095, 16));
    }

    #[test]
    fn levels_coarsen_with_distance() {
        assert_eq!(level_for(100.0, 1000.0), 0);
        assert_eq!(level_for(4000.0, 1000.0), 1);
        assert_eq!(level_for(9000.0, 1000.0), 2);
        assert_eq!(level_for(1e9, 1000.0), LEVELS - 1);
    }
}
