import Foundation
import AnalysisService
import ServiceKit

await ServiceHost.main(AnalysisService.definition, arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)
