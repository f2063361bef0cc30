import Contracts
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit

/// The exemption report as CSV (`GET /v1/exemptions?format=csv`), Swedish headers first.
enum ExemptionReport {
    static let header = [
        "avsteg_id", "organisation", "leverantör", "bastjänst", "motivering", "antal_dialoger", "beslutande_organ",
        "beslutsdatum", "beslutsreferens", "registrerad",
    ]

    static func csv(_ page: Page<ExemptionResource>) -> Response {
        var text = CSVWriter.byteOrderMark + CSVWriter.line(header)
        let formatter = ISO8601DateFormatter()
        for exemption in page.items {
            text += CSVWriter.line([
                exemption.exemptionId, exemption.organisationId.rawValue,
                exemption.supplierId.rawValue, exemption.baseService, exemption.motivation,
                String(exemption.dialogue.count), exemption.boardDecision.board,
                exemption.boardDecision.decidedOn.description, exemption.boardDecision.reference,
                formatter.string(from: exemption.registeredAt),
            ])
        }
        var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8"]
        if let cursor = page.nextCursor, let name = HTTPField.Name("Next-Cursor") { headers[name] = cursor }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
