extension Optional {
    /// Unwraps a value read from the database, or throws a decoding error naming it.
    public func orThrow(_ what: @autoclosure () -> String) throws(PostgresError) -> Wrapped {
        guard let self else { throw PostgresError(kind: .decoding, message: "invalid \(what())") }
        return self
    }
}
