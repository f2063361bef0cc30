#ifndef STYRBORD_CRDKAFKA_SHIM_H
#define STYRBORD_CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>

// rd_kafka_vu_t carries its value in an anonymous union, which Swift imports but cannot
// initialise field by field in one expression; these constructors keep the Swift side
// readable and make the union member that is set explicit.
static inline rd_kafka_vu_t styrbord_vu_topic(const char *topic) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = topic; return vu;
}
static inline rd_kafka_vu_t styrbord_vu_key(const void *key, size_t size) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_KEY; vu.u.mem.ptr = (void *)key; vu.u.mem.size = size; return vu;
}
static inline rd_kafka_vu_t styrbord_vu_value(const void *value, size_t size) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_VALUE; vu.u.mem.ptr = (void *)value; vu.u.mem.size = size; return vu;
}
static inline rd_kafka_vu_t styrbord_vu_msgflags(int flags) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = flags; return vu;
}
static inline rd_kafka_vu_t styrbord_vu_opaque(void *opaque) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_OPAQUE; vu.u.ptr = opaque; return vu;
}
static inline rd_kafka_vu_t styrbord_vu_headers(rd_kafka_headers_t *headers) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_HEADERS; vu.u.headers = headers; return vu;
}
static inline rd_kafka_vu_t styrbord_vu_partition(int32_t partition) {
    rd_kafka_vu_t vu; vu.vtype = RD_KAFKA_VTYPE_PARTITION; vu.u.i32 = partition; return vu;
}

#endif
