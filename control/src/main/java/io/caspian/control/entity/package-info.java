/**
 * What every control-plane entity shares: the reply protocol, the lifecycle, the marker bound to protobuf
 * serialization. The entities themselves live in sub-packages, one per entity type.
 */
package io.caspian.control.entity;
