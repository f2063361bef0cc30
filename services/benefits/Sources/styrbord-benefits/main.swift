import Foundation
import BenefitsService
import ServiceKit

await ServiceHost.main(BenefitsService.definition, arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)
