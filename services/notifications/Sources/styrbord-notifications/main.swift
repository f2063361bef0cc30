import Foundation
import NotificationsService
import ServiceKit

await ServiceHost.main(NotificationsService.definition, arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)
