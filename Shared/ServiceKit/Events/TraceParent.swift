import W3CTraceContext

/// W3C trace context for events: an event caused by another (or by a request that
/// carried a `traceparent`) continues its trace with a new span; otherwise a trace starts.
public enum TraceParent {
    public static let header = "traceparent"

    /// A `traceparent` value for a new span, child of `parent` when that parses.
    public static func child(of parent: String?) -> String {
        if let parent, let context = try? TraceContext(traceParentHeaderValue: parent) {
            return TraceContext(traceID: context.traceID, spanID: .random(), flags: context.flags, state: context.state)
                .traceParentHeaderValue
        }
        return TraceContext(traceID: .random(), spanID: .random(), flags: .sampled, state: TraceState())
            .traceParentHeaderValue
    }
}
