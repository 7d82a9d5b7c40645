// The API's messages as protobuf's JSON mapping writes them (proto/verkenner/v1/*.proto):
// lowerCamelCase names, enums by name, int64 as strings, timestamps as RFC 3339 strings, and
// fields with their default value left out (hence every field is optional).

export type Int64 = string | number;

export interface Account {
  name?: string;
  displayName?: string;
  email?: string;
  role?: string;
  organisationName?: string;
  labourMarketRegionCode?: string;
  labourMarketRegionName?: string;
  source?: string;
  profileViews?: QuotaStatus;
  searches?: QuotaStatus;
}

export interface QuotaStatus {
  limit?: number;
  remaining?: number;
  resetTime?: string;
}

export interface AccountReference {
  name?: string;
  displayName?: string;
  role?: string;
}

export interface DateValue {
  year?: number;
  month?: number;
  day?: number;
}

export interface HoursRange {
  minHours?: number;
  maxHours?: number;
}

export interface Area {
  level?: string;
  code?: string;
  name?: string;
  labourMarketRegionCode?: string;
  labourMarketRegionName?: string;
}

export interface WorkExperience {
  occupation?: { escoCode?: string; label?: string; iscoCode?: string };
  sector?: string;
  months?: number;
  lastYear?: number;
}

export interface Completeness {
  educationKnown?: boolean;
  experienceKnown?: boolean;
  availabilityKnown?: boolean;
  travelDistanceKnown?: boolean;
  affinitiesKnown?: boolean;
  fraction?: number;
}

export interface AnonymousProfile {
  profileId?: string;
  area?: Area;
  education?: { code?: string; label?: string; ordinal?: number };
  diplomas?: string[];
  workExperience?: WorkExperience[];
  skills?: string[];
  availability?: HoursRange;
  banen?: number;
  days?: string[];
  availableFrom?: DateValue;
  maxTravelKm?: number;
  travelMode?: string;
  affinities?: string[];
  supportNeeds?: string[];
  drivingLicence?: boolean;
  languages?: string[];
  wishes?: string;
  completeness?: Completeness;
  updateTime?: string;
}

export interface MatchReason {
  code?: string;
  text?: string;
  share?: number;
}

export interface CandidateMatch {
  profile?: AnonymousProfile;
  score?: number;
  distanceBand?: string;
  reasons?: MatchReason[];
}

export interface FacetValue {
  value?: string;
  label?: string;
  count?: Int64;
}

export interface FacetResult {
  facet?: string;
  values?: FacetValue[];
}

export interface SearchResponse {
  matches?: CandidateMatch[];
  totalSize?: Int64;
  nextPageToken?: string;
  facets?: FacetResult[];
  spellingSuggestion?: string;
}

export interface Location {
  postcode?: string;
  municipalityCode?: string;
}

export interface ContactRequestVacancy {
  title?: string;
  text?: string;
  hours?: HoursRange;
  workplace?: Location;
  startDate?: DateValue;
}

export interface ContactRequestNote {
  author?: AccountReference;
  text?: string;
  audience?: string;
  status?: string;
  createTime?: string;
}

export interface ContactRequestStatusChange {
  fromStatus?: string;
  toStatus?: string;
  actor?: AccountReference;
  changeTime?: string;
}

export interface ContactRequest {
  name?: string;
  profileId?: string;
  labourMarketRegionCode?: string;
  labourMarketRegionName?: string;
  status?: string;
  vacancy?: ContactRequestVacancy;
  message?: string;
  employerOrganisationName?: string;
  contactPerson?: { name?: string; email?: string; phone?: string };
  createdBy?: AccountReference;
  assignedTo?: AccountReference;
  notes?: ContactRequestNote[];
  statusHistory?: ContactRequestStatusChange[];
  createTime?: string;
  updateTime?: string;
  lastActivityTime?: string;
  overdue?: boolean;
  dueTime?: string;
  profileWithdrawn?: boolean;
}

export interface SavedProfile {
  profileId?: string;
  note?: string;
  savedBy?: AccountReference;
  profile?: AnonymousProfile;
  createTime?: string;
  updateTime?: string;
}

export interface ShortlistEntry {
  profileId?: string;
  note?: string;
  profile?: AnonymousProfile;
  addedBy?: AccountReference;
  createTime?: string;
}

export interface Shortlist {
  name?: string;
  title?: string;
  vacancyText?: string;
  contactRequest?: string;
  labourMarketRegionCode?: string;
  createdBy?: AccountReference;
  entries?: ShortlistEntry[];
  entryCount?: number;
  createTime?: string;
  updateTime?: string;
}

export interface RowRejection {
  rowNumber?: Int64;
  field?: string;
  reason?: string;
  messageNl?: string;
}

export interface FieldCompleteness {
  field?: string;
  knownRows?: Int64;
  fraction?: number;
}

export interface ImportReport {
  importId?: string;
  source?: string;
  mode?: string;
  fileName?: string;
  state?: string;
  startTime?: string;
  endTime?: string;
  expectedRows?: Int64;
  receivedRows?: Int64;
  acceptedRows?: Int64;
  created?: Int64;
  updated?: Int64;
  deleted?: Int64;
  expired?: Int64;
  unchanged?: Int64;
  withdrawnAbsent?: Int64;
  rejectedRows?: Int64;
  rejections?: RowRejection[];
  rejectionsTruncated?: boolean;
  rejectionCounts?: Array<{ field?: string; reason?: string; rows?: Int64 }>;
  completeness?: FieldCompleteness[];
  activeProfiles?: Int64;
  smallestGroupSize?: number;
  kThreshold?: number;
  generalisedProfiles?: Int64;
}

// The response of an export method (ExportShortlist, ExportRejectedRows): a file.
export interface ExportedFile {
  contentType?: string;
  content?: string; // base64
  filename?: string;
}
