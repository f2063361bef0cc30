import Foundation
import IntakeService
import ServiceKit

await ServiceHost.main(IntakeService.definition, arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)
