//! `[infiltration]`: a loss model (constant, Horton, Green-Ampt, SCS curve number) and its
//! parameters, each a number or a raster.

use basintwin_core::Infiltration;
use basintwin_io::Resample;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths::{self, Field};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    model: Spanned<String>,
    rate_mm_h: Option<Spanned<toml::Value>>,
    f0_mm_h: Option<Spanned<toml::Value>>,
    fc_mm_h: Option<Spanned<toml::Value>>,
    k_per_h: Option<Spanned<toml::Value>>,
    ks_mm_h: Option<Spanned<toml::Value>>,
    suction_m: Option<Spanned<toml::Value>>,
    moisture_deficit: Option<Spanned<toml::Value>>,
    cn: Option<Spanned<toml::Value>>,
}

impl Raw {
    /// Every parameter key with its value if given.
    fn params(&self) -> [(&'static str, &Option<Spanned<toml::Value>>); 8] {
        [
            ("rate_mm_h", &self.rate_mm_h),
            ("f0_mm_h", &self.f0_mm_h),
            ("fc_mm_h", &self.fc_mm_h),
            ("k_per_h", &self.k_per_h),
            ("ks_mm_h", &self.ks_mm_h),
            ("suction_m", &self.suction_m),
            ("moisture_deficit", &self.moisture_deficit),
            ("cn", &self.cn),
        ]
    }
}

/// The parameters a model needs, in the order [`infiltration_model`] takes them; `None` for an
/// unknown model.
fn needs(model: &str) -> Option<&'static [&'static str]> {
    Some(match model {
        "none" => &[],
        "constant" => &["rate_mm_h"],
        "horton" => &["f0_mm_h", "fc_mm_h", "k_per_h"],
        "green_ampt" => &["ks_mm_h", "suction_m", "moisture_deficit"],
        "scs_cn" => &["cn"],
        _ => return None,
    })
}

/// The infiltration model from its parameters in scenario units (mm/h, 1/h, m, -), in the
/// order the model lists them; `Infiltration::None` for an unknown model.
pub fn infiltration_model(model: &str, values: &[f64]) -> Infiltration {
    match (model, values) {
        ("constant", [rate]) => Infiltration::Constant {
            rate_m_s: rate / 3.6e6,
        },
        ("horton", [f0, fc, k]) => Infiltration::Horton {
            f0_m_s: f0 / 3.6e6,
            fc_m_s: fc / 3.6e6,
            k_per_s: k / 3600.0,
        },
        ("green_ampt", [ks, psi, dth]) => Infiltration::GreenAmpt {
            ks_m_s: ks / 3.6e6,
            suction_m: *psi,
            moisture_deficit: *dth,
        },
        ("scs_cn", [cn]) => Infiltration::ScsCurveNumber { cn: *cn },
        _ => Infiltration::None,
    }
}

/// Infiltration parameters of which at least one is a raster.
#[derive(Debug, Clone, PartialEq)]
pub struct InfiltrationFields {
    pub model: String,
    /// Parameter names (scenario keys), in the model's order.
    pub names: Vec<String>,
    pub params: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Losses {
    /// The model when every parameter is a number (else `Infiltration::None`).
    pub model: Infiltration,
    /// Set when a parameter is a raster: the parameters per cell come from it.
    pub fields: Option<InfiltrationFields>,
}

pub(super) fn validate(raw: Option<&Spanned<Raw>>, dx: &mut Diagnostics) -> Losses {
    let mut out = Losses {
        model: Infiltration::None,
        fields: None,
    };
    let Some(inf) = raw else { return out };
    let r = inf.get_ref();
    let model = r.model.get_ref().as_str();
    let needs = needs(model).unwrap_or_else(|| {
        dx.problem(
            &r.model,
            "infiltration.model",
            format!(
                "unknown model '{model}': expected none, constant, horton, green_ampt or scs_cn"
            ),
        );
        &[]
    });
    let params = params(inf, needs, dx);
    let values: Option<Vec<f64>> = params
        .iter()
        .map(|f| match f {
            Field::Value(v) => Some(*v),
            Field::Raster(..) => None,
        })
        .collect();
    match values {
        Some(values) => {
            out.model = infiltration_model(model, &values);
            if values.iter().all(|v| !v.is_nan())
                && let Err(e) = out.model.validate()
            {
                dx.problem(inf, "infiltration", e);
            }
        }
        // Checked cell by cell once the rasters are read.
        None => {
            out.fields = Some(InfiltrationFields {
                model: model.to_string(),
                names: needs.iter().map(|n| n.to_string()).collect(),
                params,
            });
        }
    }
    out
}

/// The parameters the model needs, in its order (NaN where missing or malformed, with a
/// problem); a problem for each given that it does not use.
fn params(inf: &Spanned<Raw>, needs: &[&str], dx: &mut Diagnostics) -> Vec<Field> {
    let r = inf.get_ref();
    let model = r.model.get_ref();
    let given = r.params();
    let mut params = Vec::new();
    for name in needs {
        let key = format!("infiltration.{name}");
        let value = given
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_ref());
        let Some(v) = value else {
            dx.problem(inf, &key, format!("missing: the {model} model needs it"));
            params.push(Field::Value(f64::NAN));
            continue;
        };
        // Soil parameters are usually classes: nearest neighbour onto the grid.
        let f = paths::field(dx, v, &key, Resample::Nearest, "a number or a raster path");
        params.push(f.unwrap_or(Field::Value(f64::NAN)));
    }
    for (name, v) in given {
        if let Some(v) = v
            && !needs.contains(&name)
        {
            let msg = format!("not used by the {model} model");
            dx.problem(v, &format!("infiltration.{name}"), msg);
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    fn losses(text: &str) -> (Losses, Vec<Problem>) {
        let dir = scratch_dir("infiltration");
        std::fs::write(dir.join("ks.tif"), "").unwrap();
        check_in(&dir, text, "infiltration", |r: &Spanned<Raw>, dx| {
            validate(Some(r), dx)
        })
    }

    #[test]
    fn models_from_numbers_in_scenario_units() {
        let (l, p) = losses("[infiltration]\nmodel = \"constant\"\nrate_mm_h = 3.6\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(l.model, Infiltration::Constant { rate_m_s: 1e-6 });
        let (l, p) = losses(
            "[infiltration]\nmodel = \"green_ampt\"\nks_mm_h = 5\nsuction_m = 0.09\nmoisture_deficit = 0.25\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            l.model,
            infiltration_model("green_ampt", &[5.0, 0.09, 0.25])
        );
        let (l, p) = losses("[infiltration]\nmodel = \"none\"\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(l.model, Infiltration::None);
        assert_eq!(infiltration_model("philip", &[1.0]), Infiltration::None);
    }

    #[test]
    fn a_raster_parameter_makes_fields() {
        let (l, p) = losses("[infiltration]\nmodel = \"scs_cn\"\ncn = \"ks.tif\"\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(l.model, Infiltration::None);
        let f = l.fields.unwrap();
        assert_eq!(
            (f.model.as_str(), f.names.as_slice()),
            ("scs_cn", ["cn".to_string()].as_slice())
        );
        assert!(matches!(
            f.params[..],
            [Field::Raster(_, Resample::Nearest)]
        ));
    }

    #[test]
    fn unknown_missing_and_unused_parameters() {
        let (_, p) = losses("[infiltration]\nmodel = \"philip\"\nrate_mm_h = 1\n");
        assert_eq!(
            p,
            [
                Problem::new(
                    2,
                    "infiltration.model",
                    "unknown model 'philip': expected none, constant, horton, green_ampt or scs_cn"
                ),
                Problem::new(3, "infiltration.rate_mm_h", "not used by the philip model"),
            ]
        );
        let (_, p) = losses(
            "[infiltration]\nmodel = \"green_ampt\"\ncn = 70.0\nsuction_m = 0.09\nmoisture_deficit = 0.25\n",
        );
        assert_eq!(
            p,
            [
                Problem::new(
                    1,
                    "infiltration.ks_mm_h",
                    "missing: the green_ampt model needs it"
                ),
                Problem::new(3, "infiltration.cn", "not used by the green_ampt model"),
            ]
        );
    }

    #[test]
    fn parameters_are_checked_by_the_model() {
        let (_, p) = losses(
            "[infiltration]\nmodel = \"green_ampt\"\nks_mm_h = 5\nsuction_m = 0.09\nmoisture_deficit = 1.5\n",
        );
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].key.as_str()), (1, "infiltration"));
        assert!(
            p[0].message.contains("expected a fraction in [0, 1]"),
            "{p:?}"
        );
        let (_, p) = losses("[infiltration]\nmodel = \"constant\"\nrate_mm_h = true\n");
        assert_eq!(
            p,
            [Problem::new(
                3,
                "infiltration.rate_mm_h",
                "got boolean: expected a number or a raster path"
            )]
        );
    }
}
