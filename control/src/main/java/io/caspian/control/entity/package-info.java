/**
 * What every control-plane entity shares: the base behaviour with enforced replies and the lifecycle helpers
 * ({@link io.caspian.control.entity.ControlEntity}), the reply protocol, the lifecycle, the marker bound to protobuf
 * serialization. The entities themselves live in sub-packages, one per entity type.
 */
package io.caspian.control.entity;
