import Foundation
import PrioritisationService
import ServiceKit

await ServiceHost.main(PrioritisationService.definition, arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)
