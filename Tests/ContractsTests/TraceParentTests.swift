import ServiceKit
import Testing

@Suite("W3C trace context on events")
struct TraceParentTests {
    @Test("a child keeps the parent's trace id and gets a span of its own")
    func childContinuesTrace() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let child = TraceParent.child(of: parent)
        let parts = child.split(separator: "-")
        #expect(parts.count == 4)
        #expect(parts[1] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(parts[2] != "00f067aa0ba902b7")
        #expect(parts[3] == "01")
    }

    @Test("without a usable parent a new sampled trace starts")
    func newTrace() {
        for parent in [nil, "garbage"] as [String?] {
            let value = TraceParent.child(of: parent)
            let parts = value.split(separator: "-")
            #expect(parts.count == 4 && parts[0] == "00" && parts[1].count == 32 && parts[2].count == 16 && parts[3] == "01")
        }
        #expect(TraceParent.child(of: nil) != TraceParent.child(of: nil))
    }
}
