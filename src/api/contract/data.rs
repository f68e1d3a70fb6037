//! Operations of the API document: data.

use super::op::*;

pub const OPS: &[Op] = &[];
