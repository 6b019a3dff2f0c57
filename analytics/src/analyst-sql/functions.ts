// The functions analyst SQL may call: an allowlist, not a denylist. A function not named here is
// refused, whatever it does; nothing that reads a file, a URL, another server, a dictionary, a
// table by name, a setting, or that sleeps or throws on purpose is here. Names are matched
// without regard to case and printed as written here, so ClickHouse resolves exactly the
// function that was checked.
import { AnalystError } from '../errors.js'

const SCALAR = `
  plus minus multiply divide intDiv intDivOrZero modulo moduloOrZero negate abs gcd lcm
  exp exp2 exp10 log ln log2 log10 log1p sqrt cbrt pow power sign sin cos tan asin acos atan atan2 sinh cosh tanh
  pi e erf erfc lgamma tgamma degrees radians hypot
  round roundBankers floor ceil ceiling trunc truncate roundToExp2 roundDown roundAge roundDuration
  equals notEquals less greater lessOrEquals greaterOrEquals and or not xor
  if multiIf ifNull nullIf coalesce assumeNotNull toNullable isNull isNotNull isNaN isFinite isInfinite isZeroOrNull greatest least
  length empty notEmpty lower upper lowerUTF8 upperUTF8 lengthUTF8 char_length character_length reverse reverseUTF8
  concat concatWithSeparator substring substr substringUTF8 left right leftUTF8 rightUTF8 trim trimLeft trimRight trimBoth ltrim rtrim
  leftPad rightPad lpad rpad leftPadUTF8 rightPadUTF8 repeat space startsWith endsWith position positionCaseInsensitive positionUTF8 locate
  like notLike ilike notILike match multiMatchAny multiSearchAny extract extractAll extractGroups
  replace replaceOne replaceAll replaceRegexpOne replaceRegexpAll splitByChar splitByString splitByRegexp splitByWhitespace arrayStringConcat
  format toValidUTF8 base64Encode base64Decode tryBase64Decode hex unhex bin unbin
  normalizeUTF8NFC normalizeUTF8NFD countSubstrings countMatches ngrams tokens
  toString toFixedString toStringCutToZero toInt8 toInt16 toInt32 toInt64 toInt128 toInt256 toUInt8 toUInt16 toUInt32 toUInt64 toUInt128 toUInt256
  toFloat32 toFloat64 toDecimal32 toDecimal64 toDecimal128 toDecimal256 toBool toUUID toIPv4 toIPv6 IPv4NumToString IPv4StringToNum IPv6NumToString IPv6StringToNum
  toInt8OrNull toInt16OrNull toInt32OrNull toInt64OrNull toUInt8OrNull toUInt16OrNull toUInt32OrNull toUInt64OrNull toFloat32OrNull toFloat64OrNull
  toInt32OrZero toInt64OrZero toUInt32OrZero toUInt64OrZero toFloat64OrZero toDateOrNull toDateTimeOrNull toDateTime64OrNull toDecimal64OrNull
  parseDateTimeBestEffort parseDateTimeBestEffortOrNull parseDateTime64BestEffort parseDateTime64BestEffortOrNull parseDateTime parseDateTimeOrNull
  reinterpretAsString toTypeName toColumnTypeName accurateCastOrNull
  now now64 today yesterday toDate toDate32 toDateTime toDateTime64 toYear toQuarter toMonth toDayOfYear toDayOfMonth toDayOfWeek toHour toMinute toSecond toMillisecond
  toStartOfYear toStartOfQuarter toStartOfMonth toStartOfWeek toMonday toStartOfDay toStartOfHour toStartOfMinute toStartOfSecond
  toStartOfFiveMinutes toStartOfTenMinutes toStartOfFifteenMinutes toStartOfInterval toTime toISOWeek toISOYear toWeek toYearWeek toYYYYMM toYYYYMMDD toYYYYMMDDhhmmss
  toUnixTimestamp toUnixTimestamp64Milli toUnixTimestamp64Micro toUnixTimestamp64Nano fromUnixTimestamp fromUnixTimestamp64Milli fromUnixTimestamp64Micro fromUnixTimestamp64Nano
  toTimezone toTimeZone timeZoneOf timeZoneOffset toRelativeHourNum toRelativeDayNum toRelativeMinuteNum toRelativeSecondNum toRelativeWeekNum toRelativeMonthNum
  dateDiff date_diff dateAdd date_add dateSub date_sub dateTrunc date_trunc addSeconds addMinutes addHours addDays addWeeks addMonths addQuarters addYears addMilliseconds
  subtractSeconds subtractMinutes subtractHours subtractDays subtractWeeks subtractMonths subtractQuarters subtractYears subtractMilliseconds
  toIntervalSecond toIntervalMinute toIntervalHour toIntervalDay toIntervalWeek toIntervalMonth toIntervalQuarter toIntervalYear toIntervalMillisecond
  formatDateTime formatDateTimeInJodaSyntax formatReadableSize formatReadableQuantity formatReadableTimeDelta monthName age timeSlot timeSlots
  array arrayConcat arrayElement has hasAll hasAny hasSubstr indexOf arrayCount countEqual arrayEnumerate arrayEnumerateUniq arrayPopBack arrayPopFront arrayPushBack arrayPushFront
  arraySlice arraySort arrayReverseSort arrayReverse arrayUniq arrayDistinct arrayJoin arrayMap arrayFilter arrayExists arrayAll arrayFirst arrayLast arrayFirstIndex arrayLastIndex
  arraySum arrayAvg arrayMin arrayMax arrayProduct arrayCumSum arrayDifference arrayIntersect arrayZip arrayFlatten arrayCompact arrayResize arrayFold arrayShuffle
  arrayStringConcat range emptyArrayString emptyArrayUInt8 emptyArrayFloat64 splitByNonAlpha arrayWithConstant arraySplit arrayPartialSort arrayAUC
  tuple tupleElement untuple tupleHammingDistance map mapKeys mapValues mapContains mapFromArrays
  sipHash64 sipHash128 cityHash64 farmHash64 xxHash32 xxHash64 xxh3 murmurHash2_64 murmurHash3_64 murmurHash3_128 halfMD5 MD5 SHA1 SHA224 SHA256 SHA512 crc32 javaHash hiveHash
  JSONHas JSONLength JSONType JSONExtract JSONExtractString JSONExtractInt JSONExtractUInt JSONExtractFloat JSONExtractBool JSONExtractRaw JSONExtractArrayRaw JSONExtractKeys JSONExtractKeysAndValues
  simpleJSONExtractString simpleJSONExtractFloat simpleJSONExtractInt simpleJSONExtractBool simpleJSONHas isValidJSON toJSONString
  bitAnd bitOr bitXor bitNot bitShiftLeft bitShiftRight bitCount bitTest
  rand rand64 randCanonical generateUUIDv4 materialize identity ignore isConstant toLowCardinality
  transform bar geoDistance greatCircleDistance intExp2 intExp10
  rowNumberInAllBlocks runningDifference neighbor
`
const AGGREGATE = `
  count sum avg min max any anyLast anyHeavy argMin argMax uniq uniqExact uniqCombined uniqCombined64 uniqHLL12 uniqTheta
  groupArray groupUniqArray groupArraySample groupArrayInsertAt groupArrayMovingSum groupArrayMovingAvg groupBitAnd groupBitOr groupBitXor groupConcat
  topK topKWeighted median medianExact quantile quantiles quantileExact quantileExactLow quantileExactHigh quantileExactInclusive quantileExactExclusive
  quantileTiming quantileTDigest quantilesExact quantilesExactInclusive quantilesTDigest quantileDeterministic quantileBFloat16 quantileGK
  stddevPop stddevSamp varPop varSamp covarPop covarSamp corr skewPop skewSamp kurtPop kurtSamp simpleLinearRegression
  sumWithOverflow sumKahan avgWeighted histogram sequenceMatch sequenceCount windowFunnel retention deltaSum entropy
  minMap maxMap sumMap boundingRatio rankCorr exponentialMovingAverage
  first_value last_value any_value
`
const WINDOW = `row_number rank dense_rank percent_rank cume_dist ntile nth_value lagInFrame leadInFrame`
/** Aggregate function combinators, longest first so that -MergeState is not read as -State. */
const COMBINATORS = ['SimpleState', 'MergeState', 'OrDefault', 'Distinct', 'ForEach', 'OrNull', 'Resample', 'ArgMin', 'ArgMax', 'Array', 'State', 'Merge', 'Map', 'If']

/** Table functions that generate data and read nothing. */
export const TABLE_FUNCTIONS = ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values']

const index = (names: string) => new Map(names.split(/\s+/).filter(Boolean).map((n) => [n.toLowerCase(), n]))
const SCALARS = index(SCALAR)
const AGGREGATES = index(`${AGGREGATE} ${WINDOW}`)
const TABLES = index(TABLE_FUNCTIONS.join(' '))

/** The allowlisted spelling of a function, or an AnalystError naming the call and its offset. */
export function resolveFunction(name: string, at: number): string {
  const lower = name.toLowerCase()
  const direct = SCALARS.get(lower) ?? AGGREGATES.get(lower)
  if (direct) return direct
  // An aggregate with combinators: sumIf, uniqExactMerge, quantilesExactIfOrNull…
  let rest = name
  const suffixes: string[] = []
  for (let found = true; found && rest;) {
    found = false
    for (const c of COMBINATORS) {
      if (rest.length > c.length && rest.endsWith(c)) {
        suffixes.unshift(c)
        rest = rest.slice(0, -c.length)
        found = true
        break
      }
    }
    const base = AGGREGATES.get(rest.toLowerCase())
    if (base && suffixes.length) return base + suffixes.join('')
  }
  throw new AnalystError('NEVA_ANALYST_FUNCTION', `${name}() at offset ${at}`)
}

export function resolveTableFunction(name: string, at: number): string {
  const found = TABLES.get(name.toLowerCase())
  if (!found) throw new AnalystError('NEVA_ANALYST_TABLE_FUNCTION', `${name}() at offset ${at}`)
  return found
}
