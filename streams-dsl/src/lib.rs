//! rstreams DSL.
