//! The bindings of a shader module, read from the module itself (naga reflection), and the
//! buffers bound to them by name: the bind group layout and the bind group are built from what
//! the module declares, never from the order buffers were made in, and [`check`] refuses a
//! binding without a buffer, a buffer of the wrong usage or too small for what the kernels
//! index, and a buffer no binding uses.

use std::collections::BTreeMap;

use crate::error::GpuError;

/// How the kernels may use a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Uniform,
    ReadOnly,
    ReadWrite,
}

/// One binding of group 0 a module declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The WGSL variable's name, which is also its buffer's key in [`Buffers`].
    pub name: String,
    pub number: u32,
    pub access: Access,
    /// The smallest buffer the declaration allows: the size of a struct, or one element
    /// (the stride) of a runtime-sized array.
    pub min_bytes: u64,
}

/// The buffers of a backend, by the name of the binding each one is bound to.
pub type Buffers = BTreeMap<String, wgpu::Buffer>;

fn shader_error(e: impl std::fmt::Display) -> GpuError {
    GpuError::Runtime(format!("shader module: {e}"))
}

/// The bindings the WGSL module `src` declares, by binding number.
pub fn reflect(src: &str) -> Result<Vec<Binding>, GpuError> {
    let module =
        naga::front::wgsl::parse_str(src).map_err(|e| shader_error(e.emit_to_string(src)))?;
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).map_err(shader_error)?;
    let mut out = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(rb) = &var.binding else {
            continue;
        };
        let name = var.name.clone().unwrap_or_default();
        if rb.group != 0 {
            return Err(shader_error(format!(
                "{name} is in bind group {}; the backend binds group 0 only",
                rb.group
            )));
        }
        let access = match var.space {
            naga::AddressSpace::Uniform => Access::Uniform,
            naga::AddressSpace::Storage { access } => {
                if access.contains(naga::StorageAccess::STORE) {
                    Access::ReadWrite
                } else {
                    Access::ReadOnly
                }
            }
            other => {
                return Err(shader_error(format!(
                    "{name}: {other:?} bindings are not buffers"
                )));
            }
        };
        let min_bytes = match module.types[var.ty].inner {
            naga::TypeInner::Array {
                size: naga::ArraySize::Dynamic,
                stride,
                ..
            } => u64::from(stride),
            _ => u64::from(layouter[var.ty].size),
        };
        out.push(Binding {
            name,
            number: rb.binding,
            access,
            min_bytes,
        });
    }
    out.sort_by_key(|b| b.number);
    Ok(out)
}

/// Checks the buffers against the bindings: every binding has a buffer whose usage allows its
/// access and whose size is at least `required(name)` (the bytes the kernels index; `None`:
/// no rule for that name, an error) and the declaration's minimum; every buffer is bound.
pub fn check(
    bindings: &[Binding],
    buffers: &Buffers,
    required: impl Fn(&str) -> Option<u64>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    for b in bindings {
        let Some(buf) = buffers.get(&b.name) else {
            problems.push(format!("binding {} `{}` has no buffer", b.number, b.name));
            continue;
        };
        let usage = match b.access {
            Access::Uniform => wgpu::BufferUsages::UNIFORM,
            Access::ReadOnly | Access::ReadWrite => wgpu::BufferUsages::STORAGE,
        };
        if !buf.usage().contains(usage) {
            problems.push(format!(
                "binding {} `{}` is {:?} but its buffer's usage is {:?}",
                b.number,
                b.name,
                b.access,
                buf.usage()
            ));
        }
        match required(&b.name) {
            None => problems.push(format!(
                "binding {} `{}`: the backend has no size rule for it",
                b.number, b.name
            )),
            Some(need) => {
                let need = need.max(b.min_bytes);
                if buf.size() < need {
                    problems.push(format!(
                        "binding {} `{}`: buffer of {} bytes, the kernels need {need}",
                        b.number,
                        b.name,
                        buf.size()
                    ));
                }
            }
        }
    }
    for name in buffers.keys() {
        if !bindings.iter().any(|b| &b.name == name) {
            problems.push(format!("buffer `{name}` is bound to nothing"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The bind group layout of the bindings (every kernel of the module shares it).
pub fn layout(dev: &wgpu::Device, label: &str, bindings: &[Binding]) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = bindings
        .iter()
        .map(|b| wgpu::BindGroupLayoutEntry {
            binding: b.number,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match b.access {
                    Access::Uniform => wgpu::BufferBindingType::Uniform,
                    Access::ReadOnly => wgpu::BufferBindingType::Storage { read_only: true },
                    Access::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    dev.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &entries,
    })
}

/// The bind group: each binding's buffer, found by the binding's name.
pub fn bind_group(
    dev: &wgpu::Device,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    bindings: &[Binding],
    buffers: &Buffers,
) -> Result<wgpu::BindGroup, GpuError> {
    let entries = bindings
        .iter()
        .map(|b| {
            let buf = buffers
                .get(&b.name)
                .ok_or_else(|| GpuError::Runtime(format!("binding `{}` has no buffer", b.name)))?;
            Ok(wgpu::BindGroupEntry {
                binding: b.number,
                resource: buf.as_entire_binding(),
            })
        })
        .collect::<Result<Vec<_>, GpuError>>()?;
    Ok(dev.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout,
        entries: &entries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use basintwin_core::Scheme;

    fn bindings(scheme: Scheme) -> Vec<Binding> {
        reflect(&crate::shaders::source(scheme)).unwrap()
    }

    /// What the reflection reads: numbers, access and minimum sizes as the shaders declare them.
    #[test]
    fn reflection_reads_the_declarations() {
        let fv1 = bindings(Scheme::Fv1);
        let get = |name: &str| fv1.iter().find(|b| b.name == name).unwrap().clone();
        let params = get("params");
        assert_eq!((params.number, params.access), (0, Access::Uniform));
        assert_eq!(
            params.min_bytes,
            std::mem::size_of::<crate::layout::Params>() as u64
        );
        assert_eq!(get("z").access, Access::ReadOnly);
        assert_eq!(
            (get("h").access, get("h").min_bytes),
            (Access::ReadWrite, 4)
        );
        assert_eq!(get("maxima").min_bytes, 16);
        let mut numbers: Vec<u32> = fv1.iter().map(|b| b.number).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), fv1.len(), "two bindings share a number");
    }

    /// Each scheme's module declares what it uses and nothing of the others: fv1 binds no
    /// Runge-Kutta stage or slopes, the inertial scheme no fluxes.
    #[test]
    fn each_module_declares_its_own_bindings() {
        let names =
            |s: Scheme| -> Vec<String> { bindings(s).into_iter().map(|b| b.name).collect() };
        let (fv1, fv2, inertial) = (
            names(Scheme::Fv1),
            names(Scheme::Fv2),
            names(Scheme::Inertial),
        );
        for stage in ["hs", "qxs", "qys", "slope_x", "slope_y"] {
            assert!(!fv1.iter().any(|n| n == stage), "fv1 declares {stage}");
            assert!(fv2.iter().any(|n| n == stage), "fv2 lacks {stage}");
        }
        assert!(!inertial.iter().any(|n| n == "fx"));
        assert!(inertial.iter().any(|n| n == "qfx_new"));
    }
}
